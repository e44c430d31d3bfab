#include "common/backoff.h"

#include <algorithm>

namespace rollguard {

Backoff::Backoff(absl::Duration initial, absl::Duration max, uint64_t seed)
    : initial_(initial), max_(std::max(max, initial)), current_cap_(initial), rng_(seed) {}

absl::Duration Backoff::Next() {
  ++attempts_;
  absl::Duration cap = current_cap_;
  current_cap_ = std::min(current_cap_ * 2, max_);
  // Jitter spreads reconnects of a whole fleet after a collector restart.
  absl::Duration low = std::min(initial_ / 2, cap);
  std::uniform_real_distribution<double> dist(absl::ToDoubleSeconds(low),
                                              absl::ToDoubleSeconds(cap));
  return absl::Seconds(dist(rng_));
}

void Backoff::Reset() {
  current_cap_ = initial_;
  attempts_ = 0;
}

}  // namespace rollguard
