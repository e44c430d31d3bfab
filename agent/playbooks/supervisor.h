// What the playbook runner starts, stops and asks for the bot's PID. Two
// kinds (`service.manager` in the agent's config):
//   process  the bot is the agent's own child, stopped by PID (service.h);
//            for the demo and for bots without a supervisor
//   systemd  the bot is a systemd unit the agent drives through systemctl
//            (systemd_service.h); the bot keeps running when the agent
//            restarts, in its own cgroup with its own limits
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/playbooks/service_config.h"
#include "common/clock.h"

namespace rollguard::agent {

// Not thread-safe: the playbook runner runs one playbook at a time.
class Supervisor {
 public:
  virtual ~Supervisor() = default;

  // The running bot's PID, if it runs.
  virtual std::optional<int> Pid() = 0;
  // Starts the bot with `extra_args` appended and `env` added; its PID.
  [[nodiscard]] virtual absl::StatusOr<int> Start(
      const std::vector<std::string>& extra_args,
      const std::map<std::string, std::string>& env) = 0;
  // Stops the bot; OK if it was not running. Returns what happened.
  [[nodiscard]] virtual absl::StatusOr<std::string> Stop() = 0;
};

// The supervisor `config.manager` names.
std::unique_ptr<Supervisor> MakeSupervisor(const ServiceConfig& config, const Clock* clock);

}  // namespace rollguard::agent
