// rollguard version: this CLI's version and the collector's, so an operator
// sees a mismatch before it bites. The collector part is best effort: an
// unreachable collector still prints the CLI's version (and exits 1).
#include <google/protobuf/struct.pb.h>

#include <cstdio>
#include <string>

#include "cli/client.h"
#include "cli/subcommands/subcommands.h"

namespace rollguard::cli {

void RegisterVersionSubcommand(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto* cmd = app.add_subcommand("version", "This CLI's version and the collector's");
  cmd->callback([&global, exit_code] {
    rollguard::v1::VersionInfo info;
    absl::Status reached = absl::OkStatus();
    auto client = MakeClient(global);
    if (!client.ok()) {
      reached = client.status();
    } else if (auto got = (*client)->Call(&AdminClient::Stub::GetVersion,
                                          rollguard::v1::GetVersionRequest());
               got.ok()) {
      info = *got;
    } else {
      reached = got.status();
    }
    if (global.format() == OutputFormat::kJson) {
      google::protobuf::Struct json;
      auto& f = *json.mutable_fields();
      f["cli_version"].set_string_value(ROLLGUARD_VERSION);
      f["collector"].set_string_value(global.collector);
      f["collector_version"].set_string_value(info.collector_version());  // "" when unreachable
      f["collector_started"].set_string_value(
          info.started_ms() > 0 ? FormatTimestamp(info.started_ms()) : "");
      if (absl::Status s = PrintJson(json); !s.ok()) *exit_code = ReportError(s);
    } else {
      std::printf("rollguard %s\n", ROLLGUARD_VERSION);
      if (reached.ok()) {
        std::printf("collector %s at %s (up since %s)\n", info.collector_version().c_str(),
                    global.collector.c_str(), FormatTimestamp(info.started_ms()).c_str());
      }
    }
    if (!reached.ok()) *exit_code = ReportError(reached);
  });
}

}  // namespace rollguard::cli
