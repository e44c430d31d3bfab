// rollguard incidents | incident ID | approve ID | ack ID: the closed loop's
// incidents, their timelines, and the two things an operator does to them.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/client.h"
#include "cli/subcommands/subcommands.h"
#include "common/duration.h"

namespace rollguard::cli {
namespace {

struct IncidentArgs {
  bool all = false;
  std::string since = "7d";
  std::string until;
  std::string host;
  std::string id;
  std::string comment;
};

void PrintIncident(const rollguard::v1::Incident& i) {
  std::printf("incident  %s\n", i.id().c_str());
  std::printf("host      %s\n", i.host_id().c_str());
  std::printf("alert     %s (%s): %s\n", i.rule().c_str(), i.severity().c_str(),
              i.summary().c_str());
  std::printf("playbook  %s\n", i.playbook().c_str());
  std::printf("state     %s%s%s\n", i.state().c_str(), i.verified() ? ", verified" : "",
              i.alert_resolved() ? ", alert resolved" : "");
  if (!i.held_reason().empty()) std::printf("held      %s\n", i.held_reason().c_str());
  std::printf(
      "level     L%u%s\n", i.level(),
      i.acked_by().empty() ? "" : absl::StrCat(" (acknowledged by ", i.acked_by(), ")").c_str());
  std::printf("opened    %s UTC", FormatTimestamp(i.opened_ms()).c_str());
  if (i.closed_ms() > 0) {
    std::printf(", closed %s UTC (%s)", FormatTimestamp(i.closed_ms()).c_str(),
                FormatDurationShort(absl::Milliseconds(i.closed_ms() - i.opened_ms())).c_str());
  }
  std::printf("\ntimeline\n");
  for (const auto& e : i.timeline()) {
    std::printf(
        "  %s  +%-7s %s\n", FormatTimestamp(e.at_ms()).c_str(),
        absl::StrFormat("%.1fs", static_cast<double>(e.at_ms() - i.opened_ms()) / 1000).c_str(),
        e.what().c_str());
  }
}

int RunList(const GlobalOptions& g, const IncidentArgs& a) {
  auto t = ParseTimeFlag(a.since, absl::Now());
  if (!t.ok()) {
    return ReportError(absl::InvalidArgumentError(absl::StrCat("--since: ", t.status().message())));
  }
  rollguard::v1::ListIncidentsRequest req;
  req.set_all(a.all);
  req.set_since_ms(absl::ToUnixMillis(*t));
  req.set_host_id(a.host);
  auto client = MakeClient(g);
  if (!client.ok()) return ReportError(client.status());
  auto resp = (*client)->Call(&AdminClient::Stub::ListIncidents, req);
  if (!resp.ok()) return ReportError(resp.status());
  if (g.format() == OutputFormat::kJson) return PrintJson(*resp).ok() ? 0 : 1;
  if (resp->incidents().empty()) {
    std::printf("no %sincidents\n", a.all ? "" : "open ");
    return 0;
  }
  absl::Time now = absl::Now();
  Table table({"id", "opened", "host", "rule", "severity", "playbook", "state", "level", "last"});
  for (const auto& i : resp->incidents()) {
    std::string last = i.timeline().empty() ? "" : i.timeline().rbegin()->what();
    if (last.size() > 60) last = last.substr(0, 57) + "...";
    table.AddRow({i.id(), FormatAgo(i.opened_ms(), now), i.host_id(), i.rule(), i.severity(),
                  i.playbook(), i.state(),
                  absl::StrCat("L", i.level(), i.acked_by().empty() ? "" : " ack"), last});
  }
  std::fputs(table.Render().c_str(), stdout);
  return 0;
}

int RunShow(const GlobalOptions& g, const IncidentArgs& a) {
  auto client = MakeClient(g);
  if (!client.ok()) return ReportError(client.status());
  rollguard::v1::GetIncidentRequest req;
  req.set_id(a.id);
  auto resp = (*client)->Call(&AdminClient::Stub::GetIncident, req);
  if (!resp.ok()) return ReportError(resp.status());
  if (g.format() == OutputFormat::kJson) return PrintJson(*resp).ok() ? 0 : 1;
  PrintIncident(*resp);
  return 0;
}

int RunAction(const GlobalOptions& g, const IncidentArgs& a, bool approve) {
  auto client = MakeClient(g);
  if (!client.ok()) return ReportError(client.status());
  rollguard::v1::IncidentActionRequest req;
  req.set_id(a.id);
  req.set_by(CurrentUser());
  req.set_comment(a.comment);
  auto resp = (*client)->Call(
      approve ? &AdminClient::Stub::ApproveIncident : &AdminClient::Stub::AckIncident, req);
  if (!resp.ok()) return ReportError(resp.status());
  if (g.format() == OutputFormat::kJson) return PrintJson(*resp).ok() ? 0 : 1;
  if (approve) {
    std::printf("incident %s approved: %s dispatched to %s (command %s)\n", resp->id().c_str(),
                resp->playbook().c_str(), resp->host_id().c_str(),
                resp->command_ids().empty() ? "-" : resp->command_ids().rbegin()->c_str());
  } else {
    std::printf("incident %s acknowledged: it stays at L%u and escalates no further\n",
                resp->id().c_str(), resp->level());
  }
  return 0;
}

int RunReplay(const GlobalOptions& g, const IncidentArgs& a) {
  absl::Time now = absl::Now();
  auto since = ParseTimeFlag(a.since, now);
  if (!since.ok()) {
    return ReportError(
        absl::InvalidArgumentError(absl::StrCat("--since: ", since.status().message())));
  }
  rollguard::v1::ReplayRequest req;
  req.set_since_ms(absl::ToUnixMillis(*since));
  if (!a.until.empty()) {
    auto until = ParseTimeFlag(a.until, now);
    if (!until.ok()) {
      return ReportError(
          absl::InvalidArgumentError(absl::StrCat("--until: ", until.status().message())));
    }
    req.set_until_ms(absl::ToUnixMillis(*until));
  }
  req.set_host_id(a.host);
  // Replaying days of history takes longer than a listing.
  GlobalOptions slow = g;
  auto t = ParseDuration(g.timeout);
  if (t.ok() && *t < absl::Minutes(5)) slow.timeout = "5m";
  auto client = MakeClient(slow);
  if (!client.ok()) return ReportError(client.status());
  auto resp = (*client)->Call(&AdminClient::Stub::Replay, req);
  if (!resp.ok()) return ReportError(resp.status());
  if (g.format() == OutputFormat::kJson) return PrintJson(*resp).ok() ? 0 : 1;
  // The collector starts no earlier than its retention: show what it replayed.
  const int64_t since_ms = resp->since_ms() > 0 ? resp->since_ms() : req.since_ms();
  if (since_ms > req.since_ms()) {
    std::printf("history starts at %s UTC (the collector's retention); replaying from there\n",
                FormatTimestamp(since_ms).c_str());
  }
  std::printf("replayed %llu samples of %u series since %s UTC: %u alert(s) fired\n",
              static_cast<unsigned long long>(resp->samples()), resp->series(),
              FormatTimestamp(since_ms).c_str(), resp->alerts_fired());
  if (resp->decisions().empty()) {
    std::printf("automation would have done nothing\n");
  } else {
    Table table({"time", "host", "rule", "severity", "playbook", "decision", "resolved", "why"});
    int dispatched = 0;
    for (const auto& d : resp->decisions()) {
      dispatched += d.decision() == "dispatch";
      table.AddRow(
          {FormatTimestamp(d.at_ms()), d.host_id(), d.rule(), d.severity(), d.playbook(),
           d.decision(),
           d.resolved_ms() > 0
               ? FormatDurationShort(absl::Milliseconds(d.resolved_ms() - d.at_ms())) + " later"
               : "no",
           d.reason()});
    }
    std::fputs(table.Render().c_str(), stdout);
    std::printf("%d rollback(s) would have been dispatched, %d held back\n", dispatched,
                resp->decisions_size() - dispatched);
  }
  std::printf("(%s)\n", resp->note().c_str());
  return 0;
}

}  // namespace

void RegisterIncidentsSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<IncidentArgs>();
  auto* list = app.add_subcommand(
      "incidents", "Incidents the closed loop opened: open ones (--all: closed ones too)");
  list->add_flag("--all", args->all, "include closed incidents");
  list->add_option("--since", args->since, "with --all, how far back")->capture_default_str();
  list->add_option("--host", args->host, "only this host");
  list->callback([&global, args, exit_code] { *exit_code = RunList(global, *args); });

  auto* show = app.add_subcommand("incident", "One incident and its timeline");
  show->add_option("id", args->id, "incident id")->required();
  show->callback([&global, args, exit_code] { *exit_code = RunShow(global, *args); });

  auto* approve = app.add_subcommand(
      "approve", "Run a proposed or held-back rollback now (the guardrails do not apply)");
  approve->add_option("id", args->id, "incident id")->required();
  approve->callback([&global, args, exit_code] { *exit_code = RunAction(global, *args, true); });

  auto* replay = app.add_subcommand(
      "replay",
      "Run the current rules, decision matrix and guardrails over stored history and list the "
      "rollbacks automation would have dispatched or held back (touches no host)");
  replay->add_option("--since", args->since, "from: 7d, 2h, or a date")->capture_default_str();
  replay->add_option("--until", args->until, "to (default now)");
  replay->add_option("--host", args->host, "only this host's history");
  replay->callback([&global, args, exit_code] { *exit_code = RunReplay(global, *args); });

  auto* ack = app.add_subcommand("ack", "Acknowledge an incident: it stops climbing the ladder");
  ack->add_option("id", args->id, "incident id")->required();
  ack->add_option("--comment", args->comment, "a note for the timeline");
  ack->callback([&global, args, exit_code] { *exit_code = RunAction(global, *args, false); });
}

}  // namespace rollguard::cli
