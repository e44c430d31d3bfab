// The bot as a systemd unit (`manager: systemd`): the agent starts, stops and
// finds it through systemctl, so it runs in its own cgroup with its own
// limits and keeps running when the agent restarts or is upgraded.
//
// A start step's arguments and environment reach the bot through an
// environment file the agent writes (atomically) before `systemctl start`;
// the bot's unit needs two lines (README "Bots under systemd"):
//   EnvironmentFile=-/var/lib/rollguard-agent/sportsbot.service.env
//   ExecStart=/usr/bin/python3 bot_structure.py $ROLLGUARD_ARGS
// A non-root agent needs polkit's leave to manage that one unit.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/playbooks/supervisor.h"
#include "common/clock.h"

namespace rollguard::agent {

class SystemdService final : public Supervisor {
 public:
  SystemdService(ServiceConfig config, const Clock* clock);

  // The unit's MainPID while it runs (`systemctl show`).
  std::optional<int> Pid() override;
  // Writes the environment file, then `systemctl start UNIT`.
  [[nodiscard]] absl::StatusOr<int> Start(const std::vector<std::string>& extra_args,
                                          const std::map<std::string, std::string>& env) override;
  // `systemctl stop UNIT`: the unit's own stop signal and timeout apply.
  [[nodiscard]] absl::StatusOr<std::string> Stop() override;

 private:
  // Runs `systemctl ARGS... UNIT`; its output, or why it failed.
  absl::StatusOr<std::string> Systemctl(std::vector<std::string> args, absl::Duration timeout);

  ServiceConfig config_;
  const Clock* const clock_;
};

// The environment file's text: ROLLGUARD_ARGS (split into arguments by the
// unit's `$ROLLGUARD_ARGS`) and the variables, quoted as systemd reads them.
// Refuses what would not reach the bot as written (an argument with
// whitespace or quotes, a bad variable name, a newline).
[[nodiscard]] absl::StatusOr<std::string> BotEnvironmentFile(
    const std::string& unit, const std::vector<std::string>& args,
    const std::map<std::string, std::string>& env);

}  // namespace rollguard::agent
