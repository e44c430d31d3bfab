// rollguard rules reload: re-read the collector's rules file (like SIGHUP).
#include <cstdio>

#include "cli/client.h"
#include "cli/subcommands/subcommands.h"

namespace rollguard::cli {

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
}

}  // namespace rollguard::cli
