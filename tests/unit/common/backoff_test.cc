#include "common/backoff.h"

#include <gtest/gtest.h>

namespace rollguard {
namespace {

TEST(BackoffTest, GrowsToTheCapAndStaysWithinIt) {
  Backoff b(absl::Milliseconds(100), absl::Seconds(2), /*seed=*/42);
  absl::Duration max_seen = absl::ZeroDuration();
  for (int i = 0; i < 50; ++i) {
    absl::Duration d = b.Next();
    EXPECT_GE(d, absl::Milliseconds(50));
    EXPECT_LE(d, absl::Seconds(2));
    max_seen = std::max(max_seen, d);
  }
  // After many attempts the jittered waits reach well above the initial value.
  EXPECT_GT(max_seen, absl::Seconds(1));
}

TEST(BackoffTest, FirstWaitIsSmallAndResetRestarts) {
  Backoff b(absl::Milliseconds(100), absl::Seconds(30), 7);
  EXPECT_LE(b.Next(), absl::Milliseconds(100));
  for (int i = 0; i < 10; ++i) b.Next();
  b.Reset();
  EXPECT_EQ(b.attempts(), 0);
  EXPECT_LE(b.Next(), absl::Milliseconds(100));
}

TEST(BackoffTest, JitterSpreadsAFleet) {
  // Two agents with different seeds should not retry in lockstep.
  Backoff a(absl::Milliseconds(100), absl::Seconds(30), 1);
  Backoff b(absl::Milliseconds(100), absl::Seconds(30), 2);
  int same = 0;
  for (int i = 0; i < 10; ++i) same += a.Next() == b.Next() ? 1 : 0;
  EXPECT_LT(same, 3);
}

}  // namespace
}  // namespace rollguard
