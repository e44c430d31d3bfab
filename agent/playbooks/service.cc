#include "agent/playbooks/service.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/playbooks/spawn.h"
#include "agent/playbooks/systemd_service.h"
#include "agent/sources/proc_parse.h"
#include "common/atomic_file.h"
#include "common/files.h"

namespace rollguard::agent {

bool UsesScope(const ServiceConfig& config) {
  switch (config.scope) {
    case ScopeMode::kOn:
      return true;
    case ScopeMode::kOff:
      return false;
    case ScopeMode::kAuto:
      break;
  }
  // sd_booted(3)'s test, and root: a non-root agent would need polkit to
  // create a scope in the system manager.
  std::error_code ec;
  return ::geteuid() == 0 && std::filesystem::is_directory("/run/systemd/system", ec);
}

const char* SharedCgroupWarning(const ServiceConfig& config) {
  const char* invocation = std::getenv("INVOCATION_ID");
  if (config.manager != ServiceManager::kProcess || invocation == nullptr || UsesScope(config)) {
    return nullptr;
  }
  return "manager: process under systemd without a scope: the bot shares the agent's cgroup "
         "(its MemoryMax=/CPUQuota= apply to the bot, and restarting the agent kills it); "
         "use manager: systemd (README \"Bots under systemd\")";
}

std::unique_ptr<Supervisor> MakeSupervisor(const ServiceConfig& config, const Clock* clock) {
  if (config.manager == ServiceManager::kSystemd) {
    return std::make_unique<SystemdService>(config, clock);
  }
  return std::make_unique<ProcessService>(config, clock);
}

ProcessService::ProcessService(ServiceConfig config, const Clock* clock)
    : config_(std::move(config)), clock_(clock) {}

std::vector<std::string> ProcessService::LaunchArgv(
    const std::vector<std::string>& extra_args) const {
  std::vector<std::string> argv;
  if (UsesScope(config_)) {
    // A transient scope unit of its own: outside the agent's cgroup, so
    // neither the agent's cgroup limits nor an agent restart reach the bot.
    // (The agent's sandbox -- no capabilities, NoNewPrivileges, ProtectSystem
    // -- is inherited all the same: a bot needing more runs as a unit.)
    argv = {"systemd-run",
            "--scope",
            "--quiet",
            "--collect",
            absl::StrCat("--description=bot supervised by rollguard-agent (", config_.root, ")"),
            "--"};
  }
  argv.insert(argv.end(), config_.command.begin(), config_.command.end());
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  return argv;
}

bool ProcessService::Alive(int pid) {
  if (pid <= 0) return false;
  if (pid == child_) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      child_ = 0;  // reaped
      return false;
    }
  }
  auto stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return false;
  auto state = ParseProcessState(*stat);
  return state.ok() && *state != 'Z' && *state != 'X';
}

std::optional<int> ProcessService::Pid() {
  if (child_ > 0 && Alive(child_)) return child_;
  if (!config_.pidfile.empty()) {
    auto text = ReadFile(config_.pidfile);
    if (text.ok()) {
      auto pid = ParsePidfile(*text);
      if (pid.ok() && Alive(*pid)) return *pid;
    }
  }
  return std::nullopt;
}

absl::StatusOr<int> ProcessService::Start(const std::vector<std::string>& extra_args,
                                          const std::map<std::string, std::string>& env) {
  if (auto pid = Pid()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the service is already running (pid ", *pid, ")"));
  }
  if (config_.command.empty()) return absl::FailedPreconditionError("service.command is not set");
  std::vector<std::string> argv = LaunchArgv(extra_args);
  std::map<std::string, std::string> all_env = config_.env;
  for (const auto& [k, v] : env) all_env[k] = v;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(config_.log).parent_path(), ec);
  int log_fd = ::open(config_.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("service log ", config_.log, ": ", std::strerror(errno)));
  }
  SpawnOptions so;
  so.argv = std::move(argv);
  so.env = std::move(all_env);
  so.cwd = config_.root;
  so.stdout_fd = log_fd;
  so.group = ProcessGroup::kOwnSession;  // outlives the agent; not in its process group
  absl::StatusOr<pid_t> spawned = Spawn(so);
  ::close(log_fd);
  if (!spawned.ok()) return spawned.status();
  const pid_t pid = *spawned;
  child_ = pid;
  if (!config_.pidfile.empty()) {
    std::filesystem::create_directories(std::filesystem::path(config_.pidfile).parent_path(), ec);
    if (auto s = WriteFileAtomic(config_.pidfile, absl::StrCat(pid, "\n")); !s.ok()) return s;
  }
  // A command that cannot start (missing interpreter, bad path) dies at once.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (!Alive(pid)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the service exited right after starting; see ", config_.log));
  }
  return static_cast<int>(pid);
}

absl::StatusOr<std::string> ProcessService::Stop() {
  std::optional<int> pid = Pid();
  if (!pid) return std::string("not running");
  ::kill(*pid, SIGTERM);
  absl::Time deadline = clock_->Now() + config_.stop_timeout;
  while (clock_->Now() < deadline) {
    if (!Alive(*pid)) return absl::StrCat("stopped pid ", *pid, " with SIGTERM");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(*pid, SIGKILL);
  for (int i = 0; i < 100 && Alive(*pid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (Alive(*pid))
    return absl::DeadlineExceededError(absl::StrCat("pid ", *pid, " survived SIGKILL"));
  return absl::StrCat("pid ", *pid, " ignored SIGTERM for ",
                      absl::ToInt64Seconds(config_.stop_timeout), "s; killed with SIGKILL");
}

}  // namespace rollguard::agent
