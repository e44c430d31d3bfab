// rollguard silence add|list|rm: mute notifications (alerts still change state).
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/client.h"
#include "cli/subcommands/subcommands.h"
#include "common/duration.h"
#include "common/labels.h"

namespace rollguard::cli {
namespace {

struct SilenceArgs {
  std::string host, rule, severity, duration = "2h", comment, id;
  std::vector<std::string> labels;
  bool all = false;
};

int RunAdd(const GlobalOptions& g, const SilenceArgs& a) {
  auto d = ParseDuration(a.duration);
  if (!d.ok())
    return ReportError(absl::InvalidArgumentError(absl::StrCat("--for: ", d.status().message())));
  rollguard::v1::AddSilenceRequest req;
  auto& m = *req.mutable_matchers();
  if (!a.host.empty()) m["host"] = a.host;
  if (!a.rule.empty()) m["rule"] = a.rule;
  if (!a.severity.empty()) m["severity"] = a.severity;
  for (const auto& l : a.labels) {
    auto kv = ParseLabelFlag(l);
    if (!kv.ok()) return ReportError(kv.status());
    m[kv->first] = kv->second;
  }
  req.set_duration_ms(absl::ToInt64Milliseconds(*d));
  req.set_comment(a.comment);
  req.set_created_by(CurrentUser());
  auto client = MakeClient(g);
  if (!client.ok()) return ReportError(client.status());
  auto resp = (*client)->Call(&AdminClient::Stub::AddSilence, req);
  if (!resp.ok()) return ReportError(resp.status());
  if (g.format() == OutputFormat::kJson) return PrintJson(*resp).ok() ? 0 : 1;
  std::printf("silence %s added until %s UTC\n", resp->id().c_str(),
              FormatTimestamp(resp->ends_ms()).c_str());
  return 0;
}

int RunList(const GlobalOptions& g, const SilenceArgs& a) {
  auto client = MakeClient(g);
  if (!client.ok()) return ReportError(client.status());
  rollguard::v1::ListSilencesRequest req;
  req.set_all(a.all);
  auto resp = (*client)->Call(&AdminClient::Stub::ListSilences, req);
  if (!resp.ok()) return ReportError(resp.status());
  if (g.format() == OutputFormat::kJson) return PrintJson(*resp).ok() ? 0 : 1;
  if (resp->silences().empty()) {
    std::printf("no %ssilences\n", a.all ? "" : "active ");
    return 0;
  }
  absl::Time now = absl::Now();
  Table t({"id", "matchers", "ends", "by", "comment"});
  for (const auto& s : resp->silences()) {
    Labels m(s.matchers().begin(), s.matchers().end());
    absl::Duration left = absl::FromUnixMillis(s.ends_ms()) - now;
    t.AddRow(
        {s.id(), FormatLabels(m),
         left > absl::ZeroDuration() ? absl::StrCat("in ", FormatDurationShort(left)) : "expired",
         s.created_by(), s.comment()});
  }
  std::fputs(t.Render().c_str(), stdout);
  return 0;
}

int RunRemove(const GlobalOptions& g, const SilenceArgs& a) {
  auto client = MakeClient(g);
  if (!client.ok()) return ReportError(client.status());
  rollguard::v1::RemoveSilenceRequest req;
  req.set_id(a.id);
  auto resp = (*client)->Call(&AdminClient::Stub::RemoveSilence, req);
  if (!resp.ok()) return ReportError(resp.status());
  if (g.format() == OutputFormat::kJson) return PrintJson(*resp).ok() ? 0 : 1;
  std::printf("silence %s removed\n", a.id.c_str());
  return 0;
}

}  // namespace

void RegisterSilenceSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<SilenceArgs>();
  auto* cmd = app.add_subcommand("silence", "Mute alert notifications for a while");
  cmd->require_subcommand(1);
  auto* add = cmd->add_subcommand(
      "add",
      "Silence alerts matching every given matcher (they still change state and are stored)");
  add->add_option("--host", args->host, "host id");
  add->add_option("--rule", args->rule, "rule name (see rollguard alerts)");
  add->add_option("--severity", args->severity, "severity");
  add->add_option("--label", args->labels, "a host or series label k=v (repeatable)");
  add->add_option("--for", args->duration, "how long, e.g. 30m, 2h")->capture_default_str();
  add->add_option("--comment", args->comment, "why (shown in silence list and the audit)");
  add->callback([&global, args, exit_code] { *exit_code = RunAdd(global, *args); });
  auto* list = cmd->add_subcommand("list", "Active silences (--all: expired ones too)");
  list->add_flag("--all", args->all, "include expired silences");
  list->callback([&global, args, exit_code] { *exit_code = RunList(global, *args); });
  auto* rm = cmd->add_subcommand("rm", "Remove a silence");
  rm->add_option("id", args->id, "silence id")->required();
  rm->callback([&global, args, exit_code] { *exit_code = RunRemove(global, *args); });
}

}  // namespace rollguard::cli
