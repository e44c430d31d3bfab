// rollguard rollback | rollout | verify: run a playbook across hosts and
// follow it to the end.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/client.h"
#include "cli/command_watch.h"
#include "cli/subcommands/subcommands.h"
#include "common/duration.h"
#include "common/labels.h"
#include "common/record_states.h"

namespace rollguard::cli {
namespace {

struct RollbackArgs {
  std::string playbook;
  std::vector<std::string> hosts;
  std::vector<std::string> selector;
  bool all = false;
  bool dry_run = false;
  uint32_t max_parallel = 1;
  bool continue_on_failure = false;
  bool yes = false;
  bool wait = false;
  bool per_host = false;  // a progress line per host, however many
  std::string reason;
  std::string queue_for;
  std::string id;  // `rollout ID`
};

// Asks on the terminal; without one, refuses (scripts pass --yes).
absl::Status Confirm(const rollguard::v1::Rollout& plan) {
  std::string what = absl::StrCat(plan.dry_run() ? "dry-run " : "", plan.playbook(), " on ",
                                  plan.host_ids_size(), " hosts (", plan.max_parallel(),
                                  " at a time): ", absl::StrJoin(plan.host_ids(), ", "));
  if (isatty(STDIN_FILENO) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing to run ", what, " without confirmation; pass --yes"));
  }
  std::fprintf(stderr, "Run %s? [y/N] ", what.c_str());
  std::string answer;
  std::getline(std::cin, answer);
  if (answer == "y" || answer == "Y" || answer == "yes") return absl::OkStatus();
  return absl::CancelledError("not confirmed; nothing was started");
}

// Prints the end of a rollout; the exit code says whether every host succeeded.
int Summarize(const GlobalOptions& g, const rollguard::v1::RolloutStatus& status) {
  if (g.format() == OutputFormat::kJson) {
    if (!PrintJson(status).ok()) return 1;
  } else {
    const auto& r = status.rollout();
    std::printf("rollout %s %s: %u/%u host(s) succeeded in %.1fs\n", r.id().c_str(),
                r.state().c_str(), r.succeeded(), r.host_count(),
                static_cast<double>(r.finished_ms() - r.created_ms()) / 1000);
    if (status.commands().empty() && r.failed() > 0) {
      // A big rollout's summary: the first failed hosts by name.
      std::printf("failed: %s%s (details: rollguard rollout %s)\n",
                  absl::StrJoin(r.failed_hosts(), ", ").c_str(),
                  r.failed() > static_cast<uint32_t>(r.failed_hosts_size())
                      ? absl::StrCat(" and ", r.failed() - r.failed_hosts_size(), " more").c_str()
                      : "",
                  r.id().c_str());
    }
    if (!r.halt_reason().empty()) std::printf("halted: %s\n", r.halt_reason().c_str());
    // One host: its steps and their output are the answer (e.g. `verify`).
    if (status.commands_size() == 1) PrintCommandDetail(status.commands(0));
    for (const auto& c : status.commands()) {
      if (c.state() != rollguard::v1::SUCCEEDED && status.commands_size() > 1) {
        std::printf("  %s: %s %s (details: rollguard command %s)\n", c.host_id().c_str(),
                    StateName(c.state()).c_str(), c.error().c_str(), c.command().id().c_str());
      }
    }
  }
  return StateOf(status.rollout()) == RolloutState::kSucceeded ? 0 : kExitRunFailed;
}

int Follow(const GlobalOptions& g, AdminClient& client, const std::string& id, bool per_host) {
  auto done = WatchRollout(client, id, g.format() == OutputFormat::kTable, per_host);
  if (!done.ok()) return ReportError(done.status());
  return Summarize(g, *done);
}

int RunRollback(const GlobalOptions& g, const RollbackArgs& a) {
  rollguard::v1::StartRolloutRequest req;
  req.set_playbook(a.playbook);
  for (const auto& h : a.hosts) req.add_host_ids(h);
  for (const auto& l : a.selector) {
    auto kv = ParseLabelFlag(l);
    if (!kv.ok()) return ReportError(kv.status());
    (*req.mutable_selector())[kv->first] = kv->second;
  }
  req.set_all(a.all);
  if (a.hosts.empty() && a.selector.empty() && !a.all) {
    return ReportError(
        absl::InvalidArgumentError("say which hosts: --host H, --selector k=v or --all"));
  }
  req.set_dry_run(a.dry_run);
  req.set_max_parallel(a.max_parallel);
  req.set_continue_on_failure(a.continue_on_failure);
  req.set_requested_by(CurrentUser());
  req.set_reason(a.reason);
  if (!a.queue_for.empty()) {
    auto d = ParseDuration(a.queue_for);
    if (!d.ok()) {
      return ReportError(
          absl::InvalidArgumentError(absl::StrCat("--queue-for: ", d.status().message())));
    }
    req.set_queue_for_ms(absl::ToInt64Milliseconds(*d));
  }
  auto client = MakeClient(g);
  if (!client.ok()) return ReportError(client.status());
  req.set_resolve_only(true);
  auto plan = (*client)->Call(&AdminClient::Stub::StartRollout, req);
  if (!plan.ok()) return ReportError(plan.status());
  if (plan->host_ids_size() > 1 && !a.yes) {
    if (absl::Status s = Confirm(*plan); !s.ok()) return ReportError(s);
  }
  req.set_resolve_only(false);
  auto started = (*client)->Call(&AdminClient::Stub::StartRollout, req);
  if (!started.ok()) return ReportError(started.status());
  if (!a.wait) {
    if (g.format() == OutputFormat::kJson) return PrintJson(*started).ok() ? 0 : 1;
    std::printf("rollout %s started: %s%s on %d host(s), %u at a time\n", started->id().c_str(),
                started->playbook().c_str(), started->dry_run() ? " (dry run)" : "",
                started->host_ids_size(), started->max_parallel());
    std::printf("follow it with: rollguard rollout %s --wait\n", started->id().c_str());
    return 0;
  }
  if (g.format() == OutputFormat::kTable) {
    std::printf(
        "rollout %s: %s%s on %d host(s), %u at a time (Ctrl-C stops watching, not the "
        "rollout)\n",
        started->id().c_str(), started->playbook().c_str(), started->dry_run() ? " (dry run)" : "",
        started->host_ids_size(), started->max_parallel());
  }
  return Follow(g, **client, started->id(), a.per_host);
}

int RunRollout(const GlobalOptions& g, const RollbackArgs& a) {
  auto client = MakeClient(g);
  if (!client.ok()) return ReportError(client.status());
  if (a.wait) return Follow(g, **client, a.id, a.per_host);
  rollguard::v1::GetRolloutRequest req;
  req.set_id(a.id);
  auto status = (*client)->Call(&AdminClient::Stub::GetRollout, req);
  if (!status.ok()) return ReportError(status.status());
  if (g.format() == OutputFormat::kJson) return PrintJson(*status).ok() ? 0 : 1;
  const auto& r = status->rollout();
  std::printf("rollout %s: %s on %d host(s), %u at a time, by %s - %s\n", r.id().c_str(),
              r.playbook().c_str(), r.host_ids_size(), r.max_parallel(), r.requested_by().c_str(),
              r.state().c_str());
  Table t({"host", "state", "progress", "took", "command"});
  absl::Time now = absl::Now();
  for (const auto& h : r.host_ids()) {
    const rollguard::v1::CommandRecord* rec = nullptr;
    for (const auto& c : status->commands()) {
      if (c.host_id() == h) rec = &c;
    }
    if (rec == nullptr) {
      t.AddRow({h, "pending", "", "", ""});
    } else {
      t.AddRow({h, StateName(rec->state()), StepProgress(*rec), Elapsed(*rec, now),
                rec->command().id()});
    }
  }
  std::fputs(t.Render().c_str(), stdout);
  return 0;
}

}  // namespace

void RegisterRollbackSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<RollbackArgs>();
  auto* rb = app.add_subcommand(
      "rollback",
      "Run one of the agents' playbooks (e.g. full-rollback) on hosts, at most --max-parallel at "
      "a time; a host's failure halts the rollout unless --continue-on-failure");
  rb->add_option("playbook", args->playbook, "playbook name, as in the agents' configs")
      ->required();
  rb->add_option("--host", args->hosts, "a host id (repeatable)");
  rb->add_option("--selector", args->selector, "hosts whose labels include k=v (repeatable)");
  rb->add_flag("--all", args->all, "every known host");
  rb->add_flag("--dry-run", args->dry_run, "agents print the plan and change nothing");
  rb->add_option("--max-parallel", args->max_parallel, "hosts at a time")->capture_default_str();
  rb->add_flag("--continue-on-failure", args->continue_on_failure, "keep going after a host fails");
  rb->add_flag("-y,--yes", args->yes, "do not ask before touching more than one host");
  rb->add_flag("--wait", args->wait,
               "follow the rollout to its end: a line per host up to 50 hosts, else one overall "
               "line (done, failed, running, time to go) and each failure as it happens");
  rb->add_flag("--per-host", args->per_host, "with --wait: a line per host however many");
  rb->add_option("--reason", args->reason, "why (kept in the audit log)");
  rb->add_option("--queue-for", args->queue_for,
                 "how long a command waits for an offline agent (default: the collector's, 15m)");
  rb->callback([&global, args, exit_code] { *exit_code = RunRollback(global, *args); });

  auto* ro = app.add_subcommand("rollout", "Show a rollout's hosts and progress");
  ro->add_option("id", args->id, "rollout id (from rollguard rollback)")->required();
  ro->add_flag("--wait", args->wait, "follow it to its end");
  ro->add_flag("--per-host", args->per_host, "with --wait: a line per host however many");
  ro->callback([&global, args, exit_code] { *exit_code = RunRollout(global, *args); });

  auto* verify = app.add_subcommand(
      "verify",
      "Run the agents' verify playbook (the post-rollback checklist) on hosts and wait for it");
  verify->add_option("--host", args->hosts, "a host id (repeatable)");
  verify->add_option("--selector", args->selector, "hosts whose labels include k=v");
  verify->add_flag("--all", args->all, "every known host");
  verify->add_option("--max-parallel", args->max_parallel, "hosts at a time")
      ->capture_default_str();
  verify->callback([&global, args, exit_code] {
    RollbackArgs a = *args;
    a.playbook = "verify";
    a.wait = true;
    a.yes = true;  // verify changes nothing
    a.continue_on_failure = true;
    a.reason = "verification";
    *exit_code = RunRollback(global, a);
  });
}

}  // namespace rollguard::cli
