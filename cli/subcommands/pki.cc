// rollguard pki init | agent | user | token: a fleet's certificates and
// tokens, one command per step (see README "Securing a fleet"). Runs locally;
// talks to no collector.
#include <cstdio>
#include <memory>

#include "cli/pki_store.h"
#include "cli/subcommands/subcommands.h"

namespace rollguard::cli {
namespace {

struct PkiArgs {
  std::string dir = "rollguard-pki";
  std::vector<std::string> sans;
  std::string name;
  std::string role;
  int days = 0;
};

int Print(const absl::StatusOr<IssuedFiles>& issued) {
  if (!issued.ok()) return ReportError(issued.status());
  for (const std::string& path : issued->written) std::printf("wrote %s\n", path.c_str());
  std::printf("%s\n", issued->detail.c_str());
  return 0;
}

absl::StatusOr<Role> RoleArg(const std::string& text) {
  absl::StatusOr<Role> role = ParseRole(text);
  if (!role.ok())
    return absl::InvalidArgumentError(std::string("--role: ") +
                                      std::string(role.status().message()));
  return role;
}

}  // namespace

void RegisterPkiSubcommands(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<PkiArgs>();
  auto* pki = app.add_subcommand(
      "pki",
      "Make the fleet's CA, certificates and tokens (files only; keys are written 0600).\n"
      "  rollguard pki init --dir pki --san collector.example.net\n"
      "  rollguard pki agent bot-eu-1 --dir pki\n"
      "  rollguard pki user alice --role operator --dir pki\n"
      "  rollguard pki token ci --role viewer --dir pki");
  pki->require_subcommand(1);
  auto add_dir = [&](CLI::App* sub) {
    sub->add_option("--dir", args->dir, "the PKI folder")->capture_default_str();
  };

  auto* init = pki->add_subcommand(
      "init", "A new CA (ca.crt, ca.key) and the collector's certificate (collector.crt/.key)");
  add_dir(init);
  init->add_option("--san", args->sans,
                   "a name or IP agents use to reach the collector (repeatable; localhost and "
                   "127.0.0.1 are always in)");
  init->add_option("--days", args->days, "the collector certificate's lifetime (default 825)");
  init->callback([args, exit_code] {
    *exit_code = Print(PkiInit(args->dir, args->sans, args->days > 0 ? args->days : 825));
  });

  auto* agent = pki->add_subcommand(
      "agent", "A certificate for one bot host's agent (agents/HOST_ID.crt/.key); again to rotate");
  add_dir(agent);
  agent->add_option("host_id", args->name, "the host id the agent sends in its hello")->required();
  agent->add_option("--days", args->days, "lifetime (default 365)");
  agent->callback([args, exit_code] {
    *exit_code = Print(PkiAgent(args->dir, args->name, args->days > 0 ? args->days : 365));
  });

  auto* user = pki->add_subcommand(
      "user", "A certificate for an operator (users/NAME.crt/.key) with a role");
  add_dir(user);
  user->add_option("name", args->name, "the operator's name (what the audit log records)")
      ->required();
  user->add_option("--role", args->role,
                   "viewer (reads), operator (rollbacks, acks, silences), "
                   "admin (also rules reload)")
      ->required();
  user->add_option("--days", args->days, "lifetime (default 90)");
  user->callback([args, exit_code] {
    absl::StatusOr<Role> role = RoleArg(args->role);
    if (!role.ok()) {
      *exit_code = ReportError(role.status());
      return;
    }
    *exit_code = Print(PkiUser(args->dir, args->name, *role, args->days > 0 ? args->days : 90));
  });

  auto* token = pki->add_subcommand(
      "token",
      "A bearer token with a role: printed once, saved to tokens/NAME.token (0600); its hash is "
      "appended to tokens.txt (the collector's --tokens-file)");
  add_dir(token);
  token->add_option("name", args->name, "the token's name (what the audit log records)")
      ->required();
  token->add_option("--role", args->role, "viewer, operator or admin")->required();
  token->callback([args, exit_code] {
    absl::StatusOr<Role> role = RoleArg(args->role);
    if (!role.ok()) {
      *exit_code = ReportError(role.status());
      return;
    }
    absl::StatusOr<IssuedToken> t = PkiToken(args->dir, args->name, *role);
    if (!t.ok()) {
      *exit_code = ReportError(t.status());
      return;
    }
    std::printf("%s\n", t->token.c_str());
    std::fprintf(stderr,
                 "rollguard: token %s: shown once; also in %s. The collector reads %s (SIGHUP "
                 "re-reads it).\n",
                 t->files.detail.c_str(), t->files.written[0].c_str(), t->files.written[1].c_str());
    *exit_code = 0;
  });
}

}  // namespace rollguard::cli
