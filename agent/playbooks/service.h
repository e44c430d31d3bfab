// The bot as a service the agent supervises directly: started by the agent
// (its own child, in its own session, output to a log file) and stopped by
// PID — SIGTERM, a grace period, then SIGKILL. A bot started by an earlier
// agent is found through its pidfile. Never by name or pattern.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace rollguard::agent {

struct ServiceConfig {
  std::string root;                  // absolute; every playbook path stays under it
  std::vector<std::string> command;  // e.g. [python3, bot_structure.py]
  std::string pidfile;               // absolute; written by the agent on start
  std::string log;                   // absolute; the bot's stdout and stderr
  std::map<std::string, std::string> env;
  absl::Duration stop_timeout = absl::Seconds(10);
};

// Not thread-safe: the playbook runner runs one playbook at a time.
class Service {
 public:
  // `clock`: how long a stop waits before SIGKILL.
  explicit Service(ServiceConfig config, const Clock* clock = &Clock::Real());

  // The running bot's PID: our child if alive, else a live PID from the pidfile.
  std::optional<int> Pid();

  // Starts the command with `extra_args` appended and `env` added.
  [[nodiscard]] absl::StatusOr<int> Start(const std::vector<std::string>& extra_args,
                                          const std::map<std::string, std::string>& env);
  // Stops the bot by PID; OK if it was not running. Returns what happened.
  [[nodiscard]] absl::StatusOr<std::string> Stop();

  const ServiceConfig& config() const { return config_; }

 private:
  bool Alive(int pid);
  ServiceConfig config_;
  const Clock* const clock_;
  int child_ = 0;
};

}  // namespace rollguard::agent
