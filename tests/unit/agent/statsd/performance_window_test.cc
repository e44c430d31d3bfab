#include "agent/statsd/performance_window.h"

#include <gtest/gtest.h>

#include <map>

namespace rollguard::agent {
namespace {

// metric{labels} -> value, for easy assertions.
std::map<std::string, double> Summary(const PerformanceWindow& w, int64_t now_ms) {
  Readings r;
  w.Summarize(now_ms, &r);
  std::map<std::string, double> out;
  for (const auto& x : r) out[x.metric + FormatLabels(x.labels)] = x.value;
  return out;
}

constexpr int64_t kT0 = 1'800'000'000'000;

TEST(PerformanceWindowTest, NoDataMeansNoSummary) {
  PerformanceWindow w;
  EXPECT_TRUE(Summary(w, kT0).empty());
}

TEST(PerformanceWindowTest, MatchesTheRunbooksDefinitionsByHand) {
  PerformanceWindow w;
  // Three create_channels at 1, 2 and 6 s and one mlb_scores at 3 s; two errors.
  w.RecordResponse("create_channels", 1.0, 1, kT0);
  w.RecordResponse("create_channels", 2.0, 1, kT0 + 1000);
  w.RecordResponse("create_channels", 6.0, 1, kT0 + 2000);
  w.RecordResponse("mlb_scores", 3.0, 1, kT0 + 3000);
  w.RecordError("create_channels", "timeout", 1, kT0 + 3000);
  w.RecordError("mlb_scores", "api", 1, kT0 + 4000);
  auto s = Summary(w, kT0 + 5000);
  EXPECT_DOUBLE_EQ(s["avg_response_time"], 3.0);  // (1+2+6+3)/4
  EXPECT_DOUBLE_EQ(s["max_response_time"], 6.0);
  EXPECT_DOUBLE_EQ(s["error_rate"], 50.0);  // 2 / max(4, 1) * 100
  EXPECT_DOUBLE_EQ(s["total_operations"], 4.0);
  EXPECT_DOUBLE_EQ(s["total_errors"], 2.0);
  EXPECT_DOUBLE_EQ(s["avg_response_time{op=create_channels}"], 3.0);
  EXPECT_DOUBLE_EQ(s["error_rate{op=create_channels}"], 100.0 / 3.0);
  EXPECT_DOUBLE_EQ(s["total_operations{op=mlb_scores}"], 1.0);
  EXPECT_DOUBLE_EQ(s["total_errors{type=timeout}"], 1.0);
  EXPECT_DOUBLE_EQ(s["total_errors{type=api}"], 1.0);
}

TEST(PerformanceWindowTest, ErrorsWithoutOperationsUseTheRunbooksMaxOne) {
  PerformanceWindow w;
  w.RecordError("x", "y", 3, kT0);
  auto s = Summary(w, kT0);
  EXPECT_DOUBLE_EQ(s["error_rate"], 300.0);  // 3 / max(0, 1) * 100
  EXPECT_DOUBLE_EQ(s["avg_response_time"], 0.0);
}

TEST(PerformanceWindowTest, OnlyTheLastTenMinutesCount) {
  PerformanceWindow w;
  w.RecordResponse("a", 10.0, 1, kT0);
  w.RecordResponse("a", 1.0, 1, kT0 + 300'000);
  auto mid = Summary(w, kT0 + 599'000);
  EXPECT_DOUBLE_EQ(mid["total_operations"], 2.0);
  auto later = Summary(w, kT0 + 600'500);  // the first is now older than 600 s
  EXPECT_DOUBLE_EQ(later["total_operations"], 1.0);
  EXPECT_DOUBLE_EQ(later["max_response_time"], 1.0);
  auto gone = Summary(w, kT0 + 901'000);
  EXPECT_DOUBLE_EQ(gone["total_operations"], 0.0);
  EXPECT_DOUBLE_EQ(gone["avg_response_time"], 0.0);
}

TEST(PerformanceWindowTest, SampleRateWeightsOperations) {
  PerformanceWindow w;
  w.RecordResponse("a", 1.0, 4, kT0);  // sampled at @0.25
  w.RecordResponse("a", 3.0, 1, kT0);
  auto s = Summary(w, kT0);
  EXPECT_DOUBLE_EQ(s["total_operations"], 5.0);
  EXPECT_DOUBLE_EQ(s["avg_response_time"], (4 * 1.0 + 3.0) / 5);
}

TEST(PerformanceWindowTest, PercentilesWithinTwoPercent) {
  PerformanceWindow w;
  for (int ms = 1; ms <= 1000; ++ms) w.RecordResponse("a", ms / 1000.0, 1, kT0 + ms);
  EXPECT_NEAR(w.ResponsePercentile(50, kT0 + 1000), 0.500, 0.500 * 0.02);
  EXPECT_NEAR(w.ResponsePercentile(95, kT0 + 1000), 0.950, 0.950 * 0.02);
  EXPECT_NEAR(w.ResponsePercentile(99, kT0 + 1000), 0.990, 0.990 * 0.02);
  // The slow tail the average hides: 99 fast, 1 very slow.
  PerformanceWindow tail;
  for (int i = 0; i < 98; ++i) tail.RecordResponse("a", 0.1, 1, kT0);
  tail.RecordResponse("a", 20.0, 1, kT0);
  tail.RecordResponse("a", 20.0, 1, kT0);
  EXPECT_NEAR(tail.ResponsePercentile(99, kT0), 20.0, 0.4);
  EXPECT_NEAR(tail.ResponsePercentile(50, kT0), 0.1, 0.002);
}

TEST(PerformanceWindowTest, ChannelCreations) {
  PerformanceWindow w;
  w.RecordChannelCreation(0.5, 1, kT0);
  w.RecordChannelCreation(1.5, 1, kT0);
  auto s = Summary(w, kT0);
  EXPECT_DOUBLE_EQ(s["channel_creation_time"], 1.0);
  EXPECT_DOUBLE_EQ(s["channel_creation_time_max"], 1.5);
  EXPECT_DOUBLE_EQ(s["channel_creations"], 2.0);
}

TEST(PerformanceWindowTest, OpCardinalityIsBounded) {
  PerformanceWindow w(600, /*max_ops=*/3);
  for (int i = 0; i < 50; ++i) w.RecordResponse("op" + std::to_string(i), 1, 1, kT0);
  auto s = Summary(w, kT0);
  EXPECT_DOUBLE_EQ(s["total_operations{op=other}"], 47.0);
  EXPECT_DOUBLE_EQ(s["total_operations"], 50.0);
}

}  // namespace
}  // namespace rollguard::agent
