// rollguard commands | command ID | undo ID | audit: what was run where, by
// whom, and how it ended.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "cli/client.h"
#include "cli/command_watch.h"
#include "cli/subcommands/subcommands.h"
#include "common/duration.h"

namespace rollguard::cli {
namespace {

struct CommandsArgs {
  std::string host;
  std::string since = "24h";
  uint32_t limit = 100;
  std::string before;  // a page further back
  std::string id;
  std::string reason;
  bool wait = false;
};

absl::StatusOr<int64_t> SinceMs(const std::string& since) {
  auto t = ParseTimeFlag(since, absl::Now());
  if (!t.ok()) return absl::InvalidArgumentError(absl::StrCat("--since: ", t.status().message()));
  return absl::ToUnixMillis(*t);
}

int RunList(const GlobalOptions& g, const CommandsArgs& a) {
  auto since = SinceMs(a.since);
  if (!since.ok()) return ReportError(since.status());
  rollguard::v1::ListCommandsRequest req;
  req.set_host_id(a.host);
  req.set_since_ms(*since);
  req.set_limit(a.limit);
  req.set_before_id(a.before);
  auto client = MakeClient(g);
  if (!client.ok()) return ReportError(client.status());
  auto resp = (*client)->Call(&AdminClient::Stub::ListCommands, req);
  if (!resp.ok()) return ReportError(resp.status());
  if (g.format() == OutputFormat::kJson) return PrintJson(*resp).ok() ? 0 : 1;
  if (resp->commands().empty()) {
    std::printf("no commands since %s UTC\n", FormatTimestamp(*since).c_str());
    return 0;
  }
  absl::Time now = absl::Now();
  Table t({"id", "created", "host", "playbook", "state", "progress", "took", "by"});
  for (const auto& r : resp->commands()) {
    const auto& c = r.command();
    std::string playbook = c.undo_of().empty() ? c.playbook() : "undo " + c.undo_of();
    if (c.dry_run()) playbook += " (dry run)";
    t.AddRow({c.id(), FormatTimestamp(c.created_ms()), r.host_id(), playbook, StateName(r.state()),
              StepProgress(r), Elapsed(r, now), c.requested_by()});
  }
  std::fputs(t.Render().c_str(), stdout);
  if (!resp->next_before_id().empty()) {
    std::printf("older ones: rollguard commands --since '%s' --limit %u --before %s%s%s\n",
                a.since.c_str(), a.limit, resp->next_before_id().c_str(),
                a.host.empty() ? "" : " --host ", a.host.c_str());
  }
  return 0;
}

int RunShow(const GlobalOptions& g, const CommandsArgs& a) {
  auto client = MakeClient(g);
  if (!client.ok()) return ReportError(client.status());
  rollguard::v1::GetCommandRequest req;
  req.set_id(a.id);
  auto rec = (*client)->Call(&AdminClient::Stub::GetCommand, req);
  if (!rec.ok()) return ReportError(rec.status());
  if (g.format() == OutputFormat::kJson) return PrintJson(*rec).ok() ? 0 : 1;
  PrintCommandDetail(*rec);
  return 0;
}

int RunUndo(const GlobalOptions& g, const CommandsArgs& a) {
  auto client = MakeClient(g);
  if (!client.ok()) return ReportError(client.status());
  rollguard::v1::UndoCommandRequest req;
  req.set_command_id(a.id);
  req.set_requested_by(CurrentUser());
  req.set_reason(a.reason);
  auto rec = (*client)->Call(&AdminClient::Stub::UndoCommand, req);
  if (!rec.ok()) return ReportError(rec.status());
  if (!a.wait) {
    if (g.format() == OutputFormat::kJson) return PrintJson(*rec).ok() ? 0 : 1;
    std::printf("undo of %s queued as command %s on %s; follow it with: rollguard command %s\n",
                a.id.c_str(), rec->command().id().c_str(), rec->host_id().c_str(),
                rec->command().id().c_str());
    return 0;
  }
  auto done = WatchCommand(**client, rec->command().id(), g.format() == OutputFormat::kTable);
  if (!done.ok()) return ReportError(done.status());
  if (g.format() == OutputFormat::kJson) {
    if (!PrintJson(*done).ok()) return 1;
  } else {
    PrintCommandDetail(*done);
  }
  return done->state() == rollguard::v1::SUCCEEDED ? 0 : 1;
}

int RunAudit(const GlobalOptions& g, const CommandsArgs& a) {
  auto since = SinceMs(a.since);
  if (!since.ok()) return ReportError(since.status());
  rollguard::v1::ListAuditRequest req;
  req.set_since_ms(*since);
  req.set_host_id(a.host);
  req.set_limit(a.limit);
  auto client = MakeClient(g);
  if (!client.ok()) return ReportError(client.status());
  auto resp = (*client)->Call(&AdminClient::Stub::ListAudit, req);
  if (!resp.ok()) return ReportError(resp.status());
  if (g.format() == OutputFormat::kJson) return PrintJson(*resp).ok() ? 0 : 1;
  if (resp->records().empty()) {
    std::printf("no audit records since %s UTC\n", FormatTimestamp(*since).c_str());
    return 0;
  }
  Table t({"time", "actor", "action", "host", "playbook", "outcome", "reason", "id"});
  for (const auto& r : resp->records()) {
    t.AddRow({FormatTimestamp(r.at_ms()), r.actor(), r.action(), r.host_id(), r.playbook(),
              r.outcome(), r.reason(), r.command_id().empty() ? r.rollout_id() : r.command_id()});
  }
  std::fputs(t.Render().c_str(), stdout);
  return 0;
}

}  // namespace

void RegisterCommandsSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<CommandsArgs>();
  auto* list = app.add_subcommand("commands", "Commands sent to agents, oldest first");
  list->add_option("--host", args->host, "only this host");
  list->add_option("--since", args->since, "how far back: 2h, 7d, or a date")
      ->capture_default_str();
  list->add_option("--limit", args->limit, "at most this many (the newest)")->capture_default_str();
  list->add_option("--before", args->before,
                   "only commands older than this id (page back; the listing prints the next one)");
  list->callback([&global, args, exit_code] { *exit_code = RunList(global, *args); });

  auto* show = app.add_subcommand("command", "One command: its steps, durations and output");
  show->add_option("id", args->id, "command id")->required();
  show->callback([&global, args, exit_code] { *exit_code = RunShow(global, *args); });

  auto* undo = app.add_subcommand(
      "undo", "Put back every file a command changed, byte for byte (a new command on its host)");
  undo->add_option("command_id", args->id, "the command to undo")->required();
  undo->add_option("--reason", args->reason, "why (kept in the audit log)");
  undo->add_flag("--wait", args->wait, "wait for the undo to finish and show it");
  undo->callback([&global, args, exit_code] { *exit_code = RunUndo(global, *args); });

  auto* audit = app.add_subcommand(
      "audit", "Who asked for which command or rollout, when, why, and the outcome");
  audit->add_option("--host", args->host, "only this host");
  audit->add_option("--since", args->since, "how far back: 2h, 7d, or a date")
      ->capture_default_str();
  audit->add_option("--limit", args->limit, "at most this many (the newest)")
      ->capture_default_str();
  audit->callback([&global, args, exit_code] { *exit_code = RunAudit(global, *args); });
}

}  // namespace rollguard::cli
