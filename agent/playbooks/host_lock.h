// One playbook at a time per host, across processes: the agent daemon and an
// operator's `rollguard-agent run` (or `undo`) on the box take the same
// advisory lock (flock) on <state_dir>/playbook.lock, so the two can never
// edit the bot's files at once. The kernel drops it when the holder exits,
// however it exits, so a crash leaves no stale lock.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace rollguard::agent {

class HostLock {
 public:
  // Takes the lock without waiting; FailedPrecondition (naming the holder's
  // pid when known) if another process holds it.
  [[nodiscard]] static absl::StatusOr<HostLock> Acquire(const std::string& state_dir);

  HostLock(HostLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  HostLock& operator=(HostLock&&) = delete;
  HostLock(const HostLock&) = delete;
  ~HostLock();

 private:
  explicit HostLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace rollguard::agent
