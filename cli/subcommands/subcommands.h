// What every CLI subcommand shares: where the collector is, how to print. The
// subcommands (CLI11 calls them so) live one group a file in this folder;
// "command" in the CLI means a rollback command sent to an agent.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/output.h"

namespace rollguard::cli {

struct GlobalOptions {
  std::string collector;  // from --collector, else $ROLLGUARD_COLLECTOR, else 127.0.0.1:7700
  std::string output = "table";
  std::string timeout = "10s";
  // TLS and identity (env ROLLGUARD_TLS_CA/_CERT/_KEY, ROLLGUARD_TOKEN holds
  // a token itself, ROLLGUARD_TOKEN_FILE a file with one).
  std::string tls_ca, tls_cert, tls_key, token_file, token;

  OutputFormat format() const {
    return output == "json" ? OutputFormat::kJson : OutputFormat::kTable;
  }
};

class AdminClient;
// Builds a client from the global options, or reports why it cannot.
absl::StatusOr<std::unique_ptr<AdminClient>> MakeClient(const GlobalOptions& g);

// Each group adds its subcommands; the callback sets *exit_code.
void RegisterHostsSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterHistorySubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterAlertsSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterSilenceSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterRulesSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterStorageSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code);

void RegisterRollbackSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterCommandsSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterIncidentsSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterDrillSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code);
// `rollguard export`: history to stdout as JSON lines, CSV or Prometheus text.
void RegisterExportSubcommand(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterHaSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterVersionSubcommand(CLI::App& app, const GlobalOptions& global, int* exit_code);
// `rollguard pki ...`: makes a CA, certificates and tokens; no collector needed.
void RegisterPkiSubcommands(CLI::App& app, int* exit_code);

// Exit codes (README "Exit codes"): 0 ok; 1 the collector refused or
// failed the call, or could not be reached; 2 usage (common/command_line.h);
// 3 a rollout, verification or drill that ran and did not succeed.
inline constexpr int kExitFailed = 1;
inline constexpr int kExitRunFailed = 3;

// `rollguard completion bash`: a bash completion script for `app`'s
// subcommands and options, generated from the same definitions --help shows.
void RegisterCompletionSubcommand(CLI::App& app);
// Prints the script (exposed for the test).
std::string BashCompletionScript(CLI::App& app);

// "user@hostname", for the audit log.
std::string CurrentUser();

// Prints "rollguard: <message>" to stderr and returns the exit code to use.
int ReportError(const absl::Status& status);

}  // namespace rollguard::cli
