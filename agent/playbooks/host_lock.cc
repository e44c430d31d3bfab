#include "agent/playbooks/host_lock.h"

#include <filesystem>

namespace rollguard::agent {

absl::StatusOr<HostLock> AcquireHostLock(const std::string& state_dir) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  return FileLock::Acquire(state_dir + "/playbook.lock", "another playbook is running on this host",
                           "the agent and `rollguard-agent run` take turns");
}

}  // namespace rollguard::agent
