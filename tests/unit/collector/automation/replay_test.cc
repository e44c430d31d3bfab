// Replay over stored history: bounded in range and work, and cancellable.
#include "collector/automation/replay.h"

#include <gtest/gtest.h>

#include <atomic>

#include "collector/alerting/rule.h"
#include "tests/fakes/memory_storage.h"

namespace rollguard::collector {
namespace {

constexpr int64_t kMinute = 60'000;

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rules = ParseRules(
        "rules:\n"
        "  - {name: error_rate_critical, metric: error_rate, op: '>', threshold: 50,\n"
        "     severity: critical, playbook: full-rollback}\n",
        "rules.yaml");
    ASSERT_TRUE(rules.ok()) << rules.status();
    in_.rules = *rules;
    in_.automation.breaker_percent = 100;
    now_ms_ = absl::ToUnixMillis(absl::Now());
  }
  // One host's error_rate, one point a minute over the last `minutes`.
  void Store(const std::string& host, int minutes, double value) {
    SeriesId id = storage_.Intern({"error_rate", {{"host", host}}});
    std::vector<StoredSample> samples;
    for (int m = minutes; m > 0; --m) samples.push_back({id, now_ms_ - m * kMinute, value});
    ASSERT_TRUE(storage_.Append(samples).ok());
  }

  rollguard::testing::MemoryStorage storage_;
  FakeClock clock_{absl::Now()};
  HostRegistry registry_{&storage_, &clock_};
  ReplayInput in_;
  int64_t now_ms_ = 0;
};

TEST_F(ReplayTest, FindsTheDecisionAutomationWouldHaveMade) {
  Store("bot-1", 30, 90);
  in_.since_ms = now_ms_ - 60 * kMinute;
  auto out = Replay(storage_, registry_, in_);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->samples(), 30u);
  EXPECT_EQ(out->alerts_fired(), 1u);
  ASSERT_EQ(out->decisions_size(), 1);
  EXPECT_EQ(out->decisions(0).host_id(), "bot-1");
  EXPECT_EQ(out->decisions(0).playbook(), "full-rollback");
}

// `rollguard replay --since 1970-01-01` used to tick the simulated clock every
// 10 s from the epoch: 170 million remediator ticks, a hung gRPC thread.
TEST_F(ReplayTest, ASinceBeforeRetentionStartsAtRetentionAndReturns) {
  Store("bot-1", 30, 90);
  in_.since_ms = 0;
  in_.oldest_ms = now_ms_ - 24 * 60 * kMinute;
  auto out = Replay(storage_, registry_, in_);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->since_ms(), in_.oldest_ms);
  EXPECT_EQ(out->alerts_fired(), 1u);
}

TEST_F(ReplayTest, AnEmptyRangeCostsNothing) {
  in_.since_ms = 0;  // no retention bound either: nothing stored, nothing ticked
  auto out = Replay(storage_, registry_, in_);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->samples(), 0u);
  EXPECT_EQ(out->decisions_size(), 0);
}

TEST_F(ReplayTest, ACancelledReplayStopsWithCancelled) {
  for (int h = 0; h < 4; ++h) Store("bot-" + std::to_string(h), 24 * 60, 10);
  in_.since_ms = now_ms_ - 25 * 60 * kMinute;
  std::atomic<int> polls{0};
  in_.cancelled = [&] { return ++polls > 2; };
  auto out = Replay(storage_, registry_, in_);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kCancelled) << out.status();
  EXPECT_GT(polls.load(), 2);
}

TEST_F(ReplayTest, MoreSamplesThanTheBoundIsRefusedNamingTheWayOut) {
  Store("bot-1", 100, 10);
  in_.since_ms = now_ms_ - 200 * kMinute;
  in_.max_samples = 50;
  auto out = Replay(storage_, registry_, in_);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(out.status().message().find("shorter --since"), std::string::npos);
}

}  // namespace
}  // namespace rollguard::collector
