// rollguard rules reload: re-read the collector's rules file (like SIGHUP).
// rollguard rules check FILE: the same validation, offline, before a reload.
#include <google/protobuf/struct.pb.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/client.h"
#include "cli/subcommands/subcommands.h"
#include "common/alert_rules.h"
#include "common/command_line.h"

namespace rollguard::cli {
namespace {

int CheckRules(const GlobalOptions& global, const std::string& path) {
  auto rules = LoadRulesFile(path);
  if (!rules.ok()) {
    std::fprintf(stderr, "rollguard: %s\n", std::string(rules.status().message()).c_str());
    return kExitUsage;
  }
  if (global.format() == OutputFormat::kJson) {
    google::protobuf::Struct json;
    auto& f = *json.mutable_fields();
    f["file"].set_string_value(path);
    auto* list = f["rules"].mutable_list_value();
    for (const Rule& r : *rules) {
      auto& row = *list->add_values()->mutable_struct_value()->mutable_fields();
      row["name"].set_string_value(r.name);
      row["metric"].set_string_value(r.metric);
      row["op"].set_string_value(r.op_text);
      row["threshold"].set_number_value(r.threshold);
      row["severity"].set_string_value(r.severity);
      row["for"].set_string_value(absl::FormatDuration(r.for_duration));
    }
    return PrintJson(json).ok() ? 0 : kExitFailed;
  }
  Table t({"rule", "when", "for", "severity", "playbook"});
  for (const Rule& r : *rules) {
    t.AddRow({r.name, absl::StrCat(r.metric, " ", r.op_text, " ", FormatValue(r.threshold)),
              r.for_duration == absl::ZeroDuration() ? "-" : absl::FormatDuration(r.for_duration),
              r.severity, r.playbook.empty() ? "-" : r.playbook});
  }
  std::fputs(t.Render().c_str(), stdout);
  std::printf("%s: %zu rules OK\n", path.c_str(), rules->size());
  return 0;
}

}  // namespace

void RegisterRulesSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto* cmd = app.add_subcommand("rules", "Alert rules");
  cmd->require_subcommand(1);
  auto* reload = cmd->add_subcommand(
      "reload",
      "Re-read the collector's rules file; a bad file is refused and the running rules stay");
  reload->callback([&global, exit_code] {
    auto client = MakeClient(global);
    if (!client.ok()) {
      *exit_code = ReportError(client.status());
      return;
    }
    auto resp =
        (*client)->Call(&AdminClient::Stub::ReloadRules, rollguard::v1::ReloadRulesRequest());
    if (!resp.ok()) {
      *exit_code = ReportError(resp.status());
      return;
    }
    if (global.format() == OutputFormat::kJson) {
      *exit_code = PrintJson(*resp).ok() ? 0 : 1;
      return;
    }
    std::printf("reloaded %u rules from %s\n", resp->rules(), resp->source().c_str());
  });
  auto* check = cmd->add_subcommand(
      "check", "Validate a rules file here, without a collector (errors name file, line and key)");
  check->footer(
      "Example: rollguard rules check /etc/rollguard/rules.yaml && rollguard rules reload");
  auto path = std::make_shared<std::string>();
  check->add_option("file", *path, "the rules file")->required();
  check->callback([&global, path, exit_code] { *exit_code = CheckRules(global, *path); });
}

}  // namespace rollguard::cli
