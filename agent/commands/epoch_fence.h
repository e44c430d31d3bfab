// Fencing: a collector that led and was replaced (paused past its lease, cut
// off) may still send commands when it wakes. Each command carries its
// leader's epoch (rollguard.v1.Command.leader_epoch); the agent keeps the
// highest epoch it has seen in `<state_dir>/leader_epoch` (written
// atomically before a command of a new epoch runs) and refuses any command
// of a lower one, across its own restarts. Commands of the same epoch, and
// of epoch 0 when no higher one was ever seen (no HA), pass.
//
// A file that cannot be read or written refuses every command until fixed:
// running a command the fence could not vouch for is the one mistake it
// exists to prevent.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace rollguard::agent {

// Not thread-safe: the command executor's one thread uses it.
class EpochFence {
 public:
  // `path` empty: in memory only (no state folder).
  explicit EpochFence(std::string path);

  // OK when a command of `epoch` may run (and, for a higher epoch, once it is
  // on disk); FAILED_PRECONDITION naming both epochs when it is stale;
  // UNAVAILABLE when the file cannot be read or written.
  [[nodiscard]] absl::Status Admit(uint64_t epoch);

  uint64_t highest() const { return highest_; }

 private:
  const std::string path_;
  uint64_t highest_ = 0;
  absl::Status load_error_;  // a damaged file: every Admit fails with it
};

}  // namespace rollguard::agent
