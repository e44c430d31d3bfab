#include "agent/playbooks/systemd_service.h"

#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/playbooks/spawn.h"
#include "common/atomic_file.h"
#include "common/status_macros.h"

namespace rollguard::agent {
namespace {

bool ValidEnvName(const std::string& name) {
  if (name.empty() || absl::ascii_isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> BotEnvironmentFile(const std::string& unit,
                                               const std::vector<std::string>& args,
                                               const std::map<std::string, std::string>& env) {
  for (const std::string& a : args) {
    if (a.empty())
      return absl::InvalidArgumentError("an empty argument would vanish in $ROLLGUARD_ARGS");
    if (a.find_first_of(" \t\n\r\"'\\$") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument '", a,
                       "' has whitespace, a quote, '\\' or '$': $ROLLGUARD_ARGS "
                       "in a unit splits at whitespace and would not pass it as one argument"));
    }
  }
  std::string text = absl::StrCat("# Written by rollguard-agent before starting ", unit,
                                  ": the last start step's arguments and environment.\n",
                                  "ROLLGUARD_ARGS=\"", absl::StrJoin(args, " "), "\"\n");
  for (const auto& [name, value] : env) {
    if (!ValidEnvName(name) || name == "ROLLGUARD_ARGS") {
      return absl::InvalidArgumentError(absl::StrCat("'", name, "' is not a variable name"));
    }
    if (value.find_first_of(std::string("\n\r\0", 3)) != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("the value of ", name, " has a newline or a NUL byte"));
    }
    std::string quoted;
    for (char c : value) {
      if (c == '"' || c == '\\' || c == '$' || c == '`') quoted += '\\';
      quoted += c;
    }
    absl::StrAppend(&text, name, "=\"", quoted, "\"\n");
  }
  return text;
}

SystemdService::SystemdService(ServiceConfig config, const Clock* clock)
    : config_(std::move(config)), clock_(clock) {}

absl::StatusOr<std::string> SystemdService::Systemctl(std::vector<std::string> args,
                                                      absl::Duration timeout) {
  SpawnOptions so;
  // Never a password prompt: the agent has no terminal, and polkit decides.
  so.argv = {config_.systemctl, "--no-ask-password"};
  so.argv.insert(so.argv.end(), args.begin(), args.end());
  so.argv.push_back(config_.unit);
  so.cwd = config_.root;
  ASSIGN_OR_RETURN(CapturedRun run, SpawnAndCapture(std::move(so), timeout, *clock_));
  if (!run.succeeded()) {
    return absl::UnavailableError(absl::StrCat("systemctl ", absl::StrJoin(args, " "), " ",
                                               config_.unit, ": ", run.Failure(timeout)));
  }
  return run.output;
}

std::optional<int> SystemdService::Pid() {
  absl::StatusOr<std::string> out =
      Systemctl({"show", "--property=MainPID", "--value"}, absl::Seconds(10));
  int pid = 0;
  if (!out.ok() || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*out), &pid) || pid <= 0) {
    return std::nullopt;
  }
  return pid;
}

absl::StatusOr<int> SystemdService::Start(const std::vector<std::string>& extra_args,
                                          const std::map<std::string, std::string>& env) {
  if (auto pid = Pid()) {
    return absl::FailedPreconditionError(
        absl::StrCat(config_.unit, " is already running (pid ", *pid, ")"));
  }
  std::map<std::string, std::string> all_env = config_.env;
  for (const auto& [k, v] : env) all_env[k] = v;
  ASSIGN_OR_RETURN(std::string text, BotEnvironmentFile(config_.unit, extra_args, all_env));
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(config_.env_file).parent_path(), ec);
  // 0600: service.env may hold the bot's secrets (systemd reads it as root).
  RETURN_IF_ERROR(WriteFileAtomicMode(config_.env_file, text, 0600));
  // systemd's own start timeout applies; this one only bounds a hung systemctl.
  RETURN_IF_ERROR(Systemctl({"start"}, config_.stop_timeout + absl::Seconds(90)).status());
  // A bot that cannot start (bad ExecStart, missing interpreter) dies at once
  // (as ProcessService checks; a later wait_healthy step checks for longer).
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::optional<int> pid = Pid();
  if (!pid) {
    return absl::FailedPreconditionError(absl::StrCat(
        config_.unit, " is not running after `systemctl start`; see journalctl -u ", config_.unit));
  }
  return *pid;
}

absl::StatusOr<std::string> SystemdService::Stop() {
  // Always `systemctl stop`, even with no MainPID: the unit may be waiting to
  // restart after a crash (Restart=) or still starting, and stop cancels
  // that; without it systemd would bring the old bot back mid-rollback.
  std::optional<int> pid = Pid();
  RETURN_IF_ERROR(Systemctl({"stop"}, config_.stop_timeout + absl::Seconds(90)).status());
  if (!pid) return absl::StrCat(config_.unit, " was not running; stopped (no restart pending)");
  return absl::StrCat("stopped ", config_.unit, " (pid ", *pid, ") through systemd");
}

}  // namespace rollguard::agent
