// Injected time, so tests of timeouts and retention never sleep.
#pragma once

#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace rollguard {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  int64_t NowMs() const { return absl::ToUnixMillis(Now()); }

  // The process-wide real clock.
  static const Clock& Real();
};

// Thread-safe manual clock for tests.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start) : ms_(absl::ToUnixMillis(start)) {}
  absl::Time Now() const override { return absl::FromUnixMillis(ms_.load()); }
  void Advance(absl::Duration d) { ms_ += absl::ToInt64Milliseconds(d); }
  void Set(absl::Time t) { ms_ = absl::ToUnixMillis(t); }

 private:
  std::atomic<int64_t> ms_;
};

}  // namespace rollguard
