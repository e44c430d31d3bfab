// Exponential backoff with full jitter, for reconnect loops.
#pragma once

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace rollguard {

// Not thread-safe; one per retry loop.
class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max, uint64_t seed = std::random_device{}());

  // The wait before the next attempt: uniform in [initial/2, cap], where cap
  // doubles from `initial` on each call up to `max`. Never more than `max`.
  absl::Duration Next();

  // Call after a success so the next failure starts small again.
  void Reset();

  int attempts() const { return attempts_; }

 private:
  absl::Duration initial_;
  absl::Duration max_;
  absl::Duration current_cap_;
  int attempts_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace rollguard
