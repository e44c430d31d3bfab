// rollguard version: this CLI's version and the collector's, so an operator
// sees a mismatch before it bites. The collector part is best effort: an
// unreachable collector still prints the CLI's version (and exits 1).
#include <google/protobuf/struct.pb.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
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
      // The -o json contract: lowerCamelCase, epoch ms with an RFC 3339 sibling.
      f["cliVersion"].set_string_value(ROLLGUARD_VERSION);
      f["collector"].set_string_value(global.collector);
      f["collectorVersion"].set_string_value(info.collector_version());  // "" when unreachable
      f["collectorStartedMs"].set_string_value(absl::StrCat(info.started_ms()));
      if (info.started_ms() > 0) {
        f["collectorStartedTime"].set_string_value(absl::FormatTime(
            "%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(info.started_ms()), absl::UTCTimeZone()));
      } else {
        f["collectorStartedTime"].set_null_value(google::protobuf::NULL_VALUE);
      }
      if (absl::Status s = PrintJson(json); !s.ok()) *exit_code = ReportError(s);
    } else {
      std::printf("rollguard %s\n", ROLLGUARD_VERSION);
      if (reached.ok()) {
        std::printf("collector %s at %s (up since %s UTC)\n", info.collector_version().c_str(),
                    global.collector.c_str(), FormatTimestamp(info.started_ms()).c_str());
      }
    }
    if (!reached.ok()) *exit_code = ReportError(reached);
  });
}

}  // namespace rollguard::cli
