// The bot's service, as the agent's config describes it (`service:`).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace rollguard::agent {

enum class ServiceManager { kProcess, kSystemd };

// How a `process` bot is kept out of the agent's cgroup.
enum class ScopeMode {
  kAuto,  // a systemd scope when systemd runs the host and the agent is root
  kOn,    // always `systemd-run --scope` (a non-root agent needs polkit's leave)
  kOff,   // the bot shares the agent's cgroup (and its MemoryMax, CPUQuota)
};

struct ServiceConfig {
  ServiceManager manager = ServiceManager::kProcess;
  std::string root;                  // absolute; every playbook path stays under it
  std::vector<std::string> command;  // e.g. [python3, bot_structure.py]
  std::string pidfile;               // absolute; written by the agent on start
  std::string log;                   // absolute; the bot's stdout and stderr
  std::map<std::string, std::string> env;
  absl::Duration stop_timeout = absl::Seconds(10);
  ScopeMode scope = ScopeMode::kAuto;  // process only
  // systemd only: the bot's unit, the environment file its unit reads
  // (ROLLGUARD_ARGS and the step's env), and the systemctl to run.
  std::string unit;
  std::string env_file;
  std::string systemctl = "systemctl";
};

// True when a `process` bot starts in a systemd scope of its own.
bool UsesScope(const ServiceConfig& config);

// Under systemd ($INVOCATION_ID set) a `process` bot without a scope lives in
// the agent's cgroup: the agent's MemoryMax=/CPUQuota= bind it and stopping
// the agent's unit kills it. The warning to print then, else nullptr.
const char* SharedCgroupWarning(const ServiceConfig& config);

}  // namespace rollguard::agent
