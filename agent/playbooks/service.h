// The bot as a process the agent supervises directly (`manager: process`): started by the agent
// (its own child, in its own session, output to a log file; in a systemd scope of its own when
// systemd runs the host, so it is not in the agent's cgroup, limits and
// restarts) and stopped by PID — SIGTERM, a grace period, then SIGKILL. A bot
// started by an earlier agent is found through its pidfile. Never by name or
// pattern.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/playbooks/supervisor.h"
#include "common/clock.h"

namespace rollguard::agent {

// Not thread-safe: the playbook runner runs one playbook at a time.
class ProcessService final : public Supervisor {
 public:
  // `clock`: how long a stop waits before SIGKILL.
  explicit ProcessService(ServiceConfig config, const Clock* clock = &Clock::Real());

  // The running bot's PID: our child if alive, else a live PID from the pidfile.
  std::optional<int> Pid() override;

  // Starts the command with `extra_args` appended and `env` added.
  [[nodiscard]] absl::StatusOr<int> Start(const std::vector<std::string>& extra_args,
                                          const std::map<std::string, std::string>& env) override;
  // Stops the bot by PID; OK if it was not running. Returns what happened.
  [[nodiscard]] absl::StatusOr<std::string> Stop() override;

  const ServiceConfig& config() const { return config_; }

  // What Start runs: the command and `extra_args`, behind `systemd-run
  // --scope` when UsesScope (systemd-run execs the command, so the PID is
  // the bot's).
  std::vector<std::string> LaunchArgv(const std::vector<std::string>& extra_args) const;

 private:
  bool Alive(int pid);
  ServiceConfig config_;
  const Clock* const clock_;
  int child_ = 0;
};

}  // namespace rollguard::agent
