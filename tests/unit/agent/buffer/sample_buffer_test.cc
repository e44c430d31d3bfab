#include "agent/buffer/sample_buffer.h"

#include <gtest/gtest.h>

#include <thread>

namespace rollguard::agent {
namespace {

std::vector<BufferedSample> Samples(int n, int64_t t0) {
  std::vector<BufferedSample> out;
  for (int i = 0; i < n; ++i) out.push_back({1, t0 + i, static_cast<double>(i)});
  return out;
}

TEST(SampleBufferTest, SendAckRemoves) {
  SampleBuffer buf(100);
  uint64_t s1 = buf.Push(Samples(3, 0));
  uint64_t s2 = buf.Push(Samples(2, 10));
  EXPECT_EQ(s2, s1 + 1);
  auto taken = buf.TakeUnsent(10, 10, absl::ZeroDuration());
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].sequence, s1);
  EXPECT_TRUE(buf.TakeUnsent(10, 10, absl::ZeroDuration()).empty());  // all in flight
  buf.Remove(s1);
  EXPECT_EQ(buf.buffered_samples(), 2u);
  buf.Remove(s2);
  EXPECT_EQ(buf.buffered_samples(), 0u);
  buf.Remove(12345);  // unknown: ignored
}

TEST(SampleBufferTest, ReconnectResendsEverythingUnacknowledged) {
  SampleBuffer buf(100);
  uint64_t s1 = buf.Push(Samples(1, 0));
  buf.Push(Samples(1, 1));
  ASSERT_EQ(buf.TakeUnsent(10, 10, absl::ZeroDuration()).size(), 2u);
  buf.Remove(s1);
  buf.MarkAllUnsent();
  auto again = buf.TakeUnsent(10, 10, absl::ZeroDuration());
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].samples[0].timestamp_ms, 1);
}

TEST(SampleBufferTest, FullDropsOldestAndCounts) {
  SampleBuffer buf(10);
  buf.Push(Samples(4, 0));
  buf.Push(Samples(4, 100));
  buf.Push(Samples(4, 200));  // 12 > 10: the oldest batch (4 samples) goes
  EXPECT_EQ(buf.buffered_samples(), 8u);
  EXPECT_EQ(buf.dropped_samples(), 4u);
  auto taken = buf.TakeUnsent(10, 10, absl::ZeroDuration());
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].samples[0].timestamp_ms, 100);
}

TEST(SampleBufferTest, OversizedBatchKeepsItsNewestSamples) {
  SampleBuffer buf(5);
  buf.Push(Samples(8, 0));
  EXPECT_EQ(buf.buffered_samples(), 5u);
  EXPECT_EQ(buf.dropped_samples(), 3u);
  auto taken = buf.TakeUnsent(1, 1, absl::ZeroDuration());
  EXPECT_EQ(taken[0].samples.front().timestamp_ms, 3);
}

TEST(SampleBufferTest, InFlightWindowIsRespected) {
  SampleBuffer buf(1000);
  for (int i = 0; i < 10; ++i) buf.Push(Samples(1, i));
  EXPECT_EQ(buf.TakeUnsent(100, 4, absl::ZeroDuration()).size(), 4u);
  EXPECT_TRUE(buf.TakeUnsent(100, 4, absl::ZeroDuration()).empty());
}

TEST(SampleBufferTest, DroppingAnInFlightBatchFreesTheWindow) {
  SampleBuffer buf(2);
  buf.Push(Samples(1, 0));
  ASSERT_EQ(buf.TakeUnsent(10, 1, absl::ZeroDuration()).size(), 1u);
  buf.Push(Samples(1, 1));
  buf.Push(Samples(1, 2));  // drops the in-flight batch
  EXPECT_EQ(buf.TakeUnsent(10, 1, absl::ZeroDuration()).size(), 1u);
}

TEST(SampleBufferTest, WaiterWakesOnPush) {
  SampleBuffer buf(100);
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    buf.Push(Samples(1, 0));
  });
  auto taken = buf.TakeUnsent(10, 10, absl::Seconds(30));
  producer.join();
  EXPECT_EQ(taken.size(), 1u);
}

// An HA pair: every batch reaches both collectors, each at its own pace.
TEST(SampleBufferTest, EachConsumerGetsEveryBatchAndItLeavesWhenBothAreDone) {
  SampleBuffer buf(100, /*consumers=*/2);
  uint64_t s1 = buf.Push(Samples(1, 0));
  uint64_t s2 = buf.Push(Samples(1, 1));
  ASSERT_EQ(buf.TakeUnsent(10, 10, absl::ZeroDuration(), 0).size(), 2u);
  buf.Remove(s1, 0);
  buf.Remove(s2, 0);
  // Consumer 0 is done with both; consumer 1 has not even seen them.
  EXPECT_EQ(buf.batches(), 2u);
  EXPECT_TRUE(buf.TakeUnsent(10, 10, absl::ZeroDuration(), 0).empty());
  auto second = buf.TakeUnsent(10, 10, absl::ZeroDuration(), 1);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].sequence, s1);
  buf.Remove(s1, 1);
  EXPECT_EQ(buf.batches(), 1u);
  buf.Remove(s2, 1);
  EXPECT_EQ(buf.batches(), 0u);
  EXPECT_EQ(buf.dropped_samples(), 0u);
}

TEST(SampleBufferTest, OneConsumersReconnectResendsOnlyWhatItHasNotAcknowledged) {
  SampleBuffer buf(100, 2);
  uint64_t s1 = buf.Push(Samples(1, 0));
  uint64_t s2 = buf.Push(Samples(1, 1));
  uint64_t s3 = buf.Push(Samples(1, 2));
  ASSERT_EQ(buf.TakeUnsent(10, 10, absl::ZeroDuration(), 1).size(), 3u);
  buf.Remove(s2, 1);  // acknowledged out of order
  buf.MarkAllUnsent(1);
  auto again = buf.TakeUnsent(10, 10, absl::ZeroDuration(), 1);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].sequence, s1);
  EXPECT_EQ(again[1].sequence, s3);
  // Consumer 0 was never touched by 1's reconnect.
  EXPECT_EQ(buf.TakeUnsent(10, 10, absl::ZeroDuration(), 0).size(), 3u);
}

TEST(SampleBufferTest, AnAbsentConsumerHoldsBatchesOnlyUpToTheBound) {
  SampleBuffer buf(10, 2);
  for (int i = 0; i < 5; ++i) {
    uint64_t s = buf.Push(Samples(4, i * 100));
    ASSERT_EQ(buf.TakeUnsent(10, 10, absl::ZeroDuration(), 0).size(), 1u);
    buf.Remove(s, 0);  // consumer 0 keeps up; consumer 1 is away
  }
  EXPECT_LE(buf.buffered_samples(), 10u);
  EXPECT_EQ(buf.dropped_samples(), 12u);
  auto late = buf.TakeUnsent(10, 10, absl::ZeroDuration(), 1);
  ASSERT_EQ(late.size(), 2u);
  EXPECT_EQ(late[0].samples[0].timestamp_ms, 300);
}

TEST(SampleBufferTest, InFlightWindowIsPerConsumer) {
  SampleBuffer buf(100, 2);
  for (int i = 0; i < 4; ++i) buf.Push(Samples(1, i));
  EXPECT_EQ(buf.TakeUnsent(10, 2, absl::ZeroDuration(), 0).size(), 2u);
  EXPECT_TRUE(buf.TakeUnsent(10, 2, absl::ZeroDuration(), 0).empty());
  EXPECT_EQ(buf.TakeUnsent(10, 2, absl::ZeroDuration(), 1).size(), 2u);
}

}  // namespace
}  // namespace rollguard::agent
