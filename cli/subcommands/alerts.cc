// rollguard alerts: what is pending and firing, or (--all) what happened.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/client.h"
#include "cli/subcommands/subcommands.h"
#include "common/duration.h"
#include "common/labels.h"
#include "common/record_states.h"

namespace rollguard::cli {
namespace {

struct AlertsArgs {
  bool all = false;
  std::string since = "24h";
  std::string host;
};

int RunAlerts(const GlobalOptions& g, const AlertsArgs& a) {
  auto client = MakeClient(g);
  if (!client.ok()) return ReportError(client.status());
  absl::Time now = absl::Now();
  rollguard::v1::ListAlertsRequest req;
  req.set_all(a.all);
  req.set_host_id(a.host);
  if (a.all) {
    auto since = ParseTimeFlag(a.since, now);
    if (!since.ok()) {
      return ReportError(
          absl::InvalidArgumentError(absl::StrCat("--since: ", since.status().message())));
    }
    req.set_since_ms(absl::ToUnixMillis(*since));
  }
  auto resp = (*client)->Call(&AdminClient::Stub::ListAlerts, req);
  if (!resp.ok()) return ReportError(resp.status());
  if (g.format() == OutputFormat::kJson) {
    auto s = PrintJson(*resp);
    return s.ok() ? 0 : ReportError(s);
  }
  if (resp->alerts().empty()) {
    std::printf("no pending or firing alerts\n");
  } else {
    Table t(
        {"host", "rule", "severity", "state", "value", "threshold", "since", "notified", "flags"});
    for (const auto& al : resp->alerts()) {
      std::vector<std::string> flags;
      if (al.silenced()) flags.push_back("silenced");
      if (al.inhibited()) flags.push_back("inhibited");
      if (al.flapping()) flags.push_back("flapping");
      if (!al.notify_error().empty()) flags.push_back("notify failed: " + al.notify_error());
      Labels extra(al.labels().begin(), al.labels().end());
      extra.erase("host");
      t.AddRow(
          {al.host_id(), al.rule() + FormatLabels(extra), al.severity(), al.state(),
           FormatValue(al.value()), absl::StrCat(al.comparison(), " ", FormatValue(al.threshold())),
           FormatAgo(StateOf(al) == AlertState::kFiring ? al.fired_at_ms() : al.active_since_ms(),
                     now),
           al.last_notified_ms() > 0 ? FormatAgo(al.last_notified_ms(), now) : "-",
           absl::StrJoin(flags, ", ")});
    }
    std::fputs(t.Render().c_str(), stdout);
  }
  for (const auto& r : resp->receivers()) {
    if (r.failed() > 0 || r.dropped() > 0) {
      std::printf("receiver %s (%s): %llu sent, %llu failed, %llu dropped; last error %s: %s\n",
                  r.name().c_str(), r.type().c_str(), static_cast<unsigned long long>(r.sent()),
                  static_cast<unsigned long long>(r.failed()),
                  static_cast<unsigned long long>(r.dropped()),
                  FormatAgo(r.last_error_ms(), now).c_str(), r.last_error().c_str());
    }
  }
  if (a.all) {
    std::printf("\n");
    if (resp->events().empty()) {
      std::printf("no alert state changes since %s\n", a.since.c_str());
      return 0;
    }
    Table t({"time (utc)", "alert", "severity", "change", "value", "reason"});
    for (const auto& ev : resp->events()) {
      t.AddRow({FormatTimestamp(ev.at_ms()), ev.alert_id(), ev.alert().severity(),
                absl::StrCat(ev.from_state(), " -> ", ev.to_state()), FormatValue(ev.value()),
                ev.reason()});
    }
    std::fputs(t.Render().c_str(), stdout);
  }
  return 0;
}

}  // namespace

void RegisterAlertsSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<AlertsArgs>();
  auto* cmd = app.add_subcommand(
      "alerts",
      "Pending and firing alerts: host, rule, severity, value, threshold, since when, "
      "last notified, silenced/inhibited/flapping; --all adds the history");
  cmd->add_flag("--all", args->all, "also list every alert state change since --since");
  cmd->add_option("--since", args->since, "with --all: from when (1h, 7d, RFC 3339, ...)")
      ->capture_default_str();
  cmd->add_option("--host", args->host, "only this host");
  cmd->callback([&global, args, exit_code] { *exit_code = RunAlerts(global, *args); });
}

}  // namespace rollguard::cli
