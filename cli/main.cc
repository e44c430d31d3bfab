// rollguard: the operator's command line for a rollguard fleet.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/client.h"
#include "cli/subcommands/subcommands.h"
#include "common/address.h"
#include "common/command_line.h"
#include "common/duration.h"
#include "common/files.h"
#include "common/tls/grpc_tls.h"

namespace rollguard::cli {

absl::StatusOr<std::unique_ptr<AdminClient>> MakeClient(const GlobalOptions& g) {
  auto timeout = rollguard::ParseDuration(g.timeout);
  if (!timeout.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--timeout: ", timeout.status().message()));
  }
  rollguard::TlsFiles tls{g.tls_ca, g.tls_cert, g.tls_key};
  if (tls.enabled()) {
    if (auto checked = rollguard::CheckTlsFiles(tls, /*need_identity=*/false, "--tls-");
        !checked.ok()) {
      return checked.status();
    }
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;  // null: plaintext
  if (tls.enabled()) {
    auto made = rollguard::MakeChannelCredentials(tls);
    if (!made.ok()) return made.status();
    creds = *made;
  }
  std::string token = g.token;
  if (!g.token_file.empty()) {
    auto text = rollguard::ReadFile(g.token_file);
    if (!text.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--token-file: ", text.status().message()));
    }
    token = std::string(absl::StripAsciiWhitespace(*text));
  }
  if (!token.empty() && !tls.enabled()) {
    return absl::InvalidArgumentError(
        "a token is only sent over TLS: set --tls-ca (or ROLLGUARD_TLS_CA) too");
  }
  return std::make_unique<AdminClient>(g.collector, *timeout, creds, std::move(token));
}

std::string CurrentUser() {
  const char* u = std::getenv("USER");
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrCat(u != nullptr && *u != '\0' ? u : "unknown", host[0] ? "@" : "", host);
}

int ReportError(const absl::Status& status) {
  std::fprintf(stderr, "rollguard: %s\n", std::string(status.message()).c_str());
  return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

namespace {

// --help lists the subcommands by what an operator is doing, each group with
// an example; a subcommand missing here would show under "Other" (and the
// test of --help fails).
struct HelpGroup {
  const char* title;
  std::vector<const char*> names;
  const char* example;
};

const std::vector<HelpGroup>& HelpGroups() {
  static const auto* groups = new std::vector<HelpGroup>{
      {"Fleet", {"hosts", "history", "export", "storage"}, "rollguard hosts -o json"},
      {"Alerts", {"alerts", "silence", "rules"}, "rollguard silence add --host bot-1 --for 1h"},
      {"Rollbacks",
       {"rollback", "rollout", "verify", "drill", "commands", "command", "undo", "audit"},
       "rollguard rollback full-rollback --selector env=prod --max-parallel 10 --wait"},
      {"Incidents", {"incidents", "incident", "approve", "ack", "replay"}, "rollguard incidents"},
      {"Admin", {"pki", "ha", "version", "completion"}, "rollguard pki agent bot-eu-1"},
  };
  return *groups;
}

void GroupSubcommands(CLI::App& app) {
  std::string footer = "Examples:\n";
  for (const HelpGroup& g : HelpGroups()) {
    for (const char* name : g.names) app.get_subcommand(name)->group(g.title);
    absl::StrAppend(&footer, "  ", g.example, "\n");
  }
  for (CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_group() == "Subcommands") sub->group("Other");
  }
  absl::StrAppend(&footer,
                  "\nExit codes: 0 ok, 1 the collector refused or failed, 2 usage, 3 a rollout, "
                  "verification or drill that ran and did not succeed.\n"
                  "`rollguard SUBCOMMAND --help` shows a subcommand's options.");
  app.footer(footer);
}

}  // namespace

}  // namespace rollguard::cli

int main(int argc, char** argv) {
  using namespace rollguard::cli;
  CLI::App app{"rollguard: watch a fleet of bot hosts and roll them back when they go wrong."};
  app.set_version_flag("--version", std::string(ROLLGUARD_VERSION));
  app.require_subcommand(1);
  // Global options work after the command too: `rollguard hosts -o json`.
  app.fallthrough();
  GlobalOptions global;
  const char* env = std::getenv("ROLLGUARD_COLLECTOR");
  global.collector = env != nullptr && *env != '\0' ? env : "127.0.0.1:7700";
  app.add_option("--collector", global.collector,
                 "collector address HOST:PORT, or an HA pair's members comma-separated: reads "
                 "go to whichever answers, writes to the leader (env ROLLGUARD_COLLECTOR)")
      ->capture_default_str();
  app.add_option("-o,--output", global.output, "output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--timeout", global.timeout, "deadline for each call to the collector")
      ->capture_default_str();
  auto env_or = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v != nullptr ? v : "");
  };
  global.tls_ca = env_or("ROLLGUARD_TLS_CA");
  global.tls_cert = env_or("ROLLGUARD_TLS_CERT");
  global.tls_key = env_or("ROLLGUARD_TLS_KEY");
  global.token = env_or("ROLLGUARD_TOKEN");
  global.token_file = env_or("ROLLGUARD_TOKEN_FILE");
  app.add_option("--tls-ca", global.tls_ca,
                 "CA that signed the collector's certificate; turns TLS on (env ROLLGUARD_TLS_CA)");
  app.add_option("--tls-cert", global.tls_cert,
                 "your user certificate, `rollguard pki user` (env ROLLGUARD_TLS_CERT)");
  app.add_option("--tls-key", global.tls_key, "its private key (env ROLLGUARD_TLS_KEY)");
  app.add_option("--token-file", global.token_file,
                 "file holding your token, `rollguard pki token` (env ROLLGUARD_TOKEN holds the "
                 "token itself, ROLLGUARD_TOKEN_FILE a file)");
  int exit_code = 0;
  RegisterHostsSubcommands(app, global, &exit_code);
  RegisterHistorySubcommands(app, global, &exit_code);
  RegisterExportSubcommand(app, global, &exit_code);
  RegisterAlertsSubcommands(app, global, &exit_code);
  RegisterSilenceSubcommands(app, global, &exit_code);
  RegisterRulesSubcommands(app, global, &exit_code);
  RegisterStorageSubcommands(app, global, &exit_code);
  RegisterRollbackSubcommands(app, global, &exit_code);
  RegisterCommandsSubcommands(app, global, &exit_code);
  RegisterIncidentsSubcommands(app, global, &exit_code);
  RegisterDrillSubcommands(app, global, &exit_code);
  RegisterPkiSubcommands(app, &exit_code);
  RegisterHaSubcommands(app, global, &exit_code);
  RegisterVersionSubcommand(app, global, &exit_code);
  RegisterCompletionSubcommand(app);
  GroupSubcommands(app);
  app.parse_complete_callback([&] {
    if (auto a = rollguard::SplitAddressList("--collector", global.collector); !a.ok()) {
      throw CLI::ValidationError(std::string(a.status().message()));
    }
  });
  if (auto done = rollguard::ParseCommandLine(app, argc, argv)) return *done;
  return exit_code;
}
