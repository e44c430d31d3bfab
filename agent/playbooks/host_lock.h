// One playbook at a time per host, across processes: the agent daemon and an
// operator's `rollguard-agent run` (or `undo`) on the box take the same
// advisory lock (common/file_lock) on <state_dir>/playbook.lock, so the two
// can never edit the bot's files at once.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/file_lock.h"

namespace rollguard::agent {

using HostLock = FileLock;

// Takes the lock without waiting; FailedPrecondition (naming the holder's pid
// when known) if another process holds it.
[[nodiscard]] absl::StatusOr<HostLock> AcquireHostLock(const std::string& state_dir);

}  // namespace rollguard::agent
