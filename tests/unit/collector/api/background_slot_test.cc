#include "collector/api/background_slot.h"

#include <gtest/gtest.h>

#include <atomic>

#include "absl/synchronization/notification.h"

namespace rollguard::collector {
namespace {

TEST(BackgroundSlotTest, OneJobAtATimeAndTheNextAfterItEnds) {
  BackgroundSlot slot;
  absl::Notification release;
  absl::Notification first_done;
  ASSERT_TRUE(slot.TryStart(
      [&] {
        release.WaitForNotification();
        return absl::OkStatus();
      },
      [&](absl::Status) {
        // Whoever hears the answer may start the next job at once.
        EXPECT_FALSE(slot.busy());
        first_done.Notify();
      }));
  EXPECT_TRUE(slot.busy());
  std::atomic<bool> second_ran{false};
  EXPECT_FALSE(slot.TryStart(
      [&] {
        second_ran = true;
        return absl::OkStatus();
      },
      [](absl::Status) {}));
  release.Notify();
  first_done.WaitForNotification();
  absl::Notification third_done;
  absl::Status third;
  ASSERT_TRUE(slot.TryStart([] { return absl::CancelledError("x"); },
                            [&](absl::Status s) {
                              third = s;
                              third_done.Notify();
                            }));
  third_done.WaitForNotification();
  EXPECT_EQ(third.code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(second_ran.load());
}

TEST(BackgroundSlotTest, DestructionWaitsForTheRunningJob) {
  std::atomic<bool> finished{false};
  {
    BackgroundSlot slot;
    ASSERT_TRUE(slot.TryStart(
        [] {
          absl::SleepFor(absl::Milliseconds(50));
          return absl::OkStatus();
        },
        [&](absl::Status) { finished = true; }));
  }
  EXPECT_TRUE(finished.load());
}

}  // namespace
}  // namespace rollguard::collector
