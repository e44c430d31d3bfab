#include "agent/statsd/statsd_aggregator.h"

#include <gtest/gtest.h>

#include <map>

namespace rollguard::agent {
namespace {

constexpr int64_t kT0 = 1'800'000'000'000;

class StatsdAggregatorTest : public ::testing::Test {
 protected:
  void Send(absl::string_view datagram, int64_t now = kT0) {
    ParseStatsdDatagram(
        datagram, [&](const StatsdLine& l) { agg_.Add(l, now); },
        [&](absl::string_view, const absl::Status& s) { ADD_FAILURE() << s; });
  }
  std::map<std::string, double> Collect(int64_t now = kT0) {
    Readings r;
    agg_.Collect(now, &r);
    std::map<std::string, double> out;
    for (const auto& x : r) out[x.metric + FormatLabels(x.labels)] = x.value;
    return out;
  }
  StatsdAggregator agg_{StatsdMapping{}};
};

TEST_F(StatsdAggregatorTest, MappedMetricsIgnoreAnyPrefix) {
  Send(
      "sportsbot.response_time:200|ms|#op:create_channels\n"
      "other.prefix.response_time:400|ms|#op:create_channels\n"
      "sportsbot.errors:1|c|#op:create_channels,type:discord_api\n"
      "sportsbot.channel_creation_time:1500|ms");
  auto s = Collect();
  EXPECT_DOUBLE_EQ(s["avg_response_time{op=create_channels}"], 0.3);  // ms -> s
  EXPECT_DOUBLE_EQ(s["error_rate"], 50.0);
  EXPECT_DOUBLE_EQ(s["total_errors{type=discord_api}"], 1.0);
  EXPECT_DOUBLE_EQ(s["channel_creation_time"], 1.5);
  // The mapped lines are not passed through as well.
  EXPECT_EQ(s.count("sportsbot_response_time_count"), 0u);
}

TEST_F(StatsdAggregatorTest, CounterSampleRateScalesErrors) {
  Send("errors:1|c|@0.1|#op:a,type:b\nresponse_time:100|ms|#op:a");
  auto s = Collect();
  EXPECT_DOUBLE_EQ(s["total_errors"], 10.0);
}

TEST_F(StatsdAggregatorTest, PassThroughPerInterval) {
  Send(
      "sportsbot.cache.hits:3|c|@0.5\nsportsbot.cache.hits:1|c|@0.5\n"
      "sportsbot.guilds:100|g\nsportsbot.guilds:+5|g\n"
      "db.query:10|ms|#table:games\ndb.query:30|ms|#table:games\n"
      "users:alice|s\nusers:bob|s\nusers:alice|s\n"
      "weird-name!:1|c|#bad-key:v");
  auto s = Collect();
  EXPECT_DOUBLE_EQ(s["sportsbot_cache_hits"], 8.0);
  EXPECT_DOUBLE_EQ(s["sportsbot_guilds"], 105.0);
  EXPECT_DOUBLE_EQ(s["db_query_count{table=games}"], 2.0);
  EXPECT_DOUBLE_EQ(s["db_query_avg{table=games}"], 20.0);
  EXPECT_DOUBLE_EQ(s["db_query_max{table=games}"], 30.0);
  EXPECT_DOUBLE_EQ(s["users"], 2.0);
  EXPECT_DOUBLE_EQ(s["weird_name_{bad_key=v}"], 1.0);
  // The next interval starts from zero; a silent metric is not reported.
  Send("sportsbot.guilds:-1|g");
  auto next = Collect();
  EXPECT_EQ(next.count("sportsbot_cache_hits"), 0u);
  EXPECT_DOUBLE_EQ(next["sportsbot_guilds"], 104.0);
}

TEST_F(StatsdAggregatorTest, PassThroughCardinalityIsBounded) {
  StatsdMapping m;
  m.max_passthrough_series = 10;
  StatsdAggregator agg(m);
  StatsdLine l;
  for (int i = 0; i < 100; ++i) {
    std::string text = "m:1|c|#user:" + std::to_string(i);
    ASSERT_TRUE(ParseStatsdLine(text, &l).ok());
    agg.Add(l, kT0);
  }
  Readings r;
  agg.Collect(kT0, &r);
  EXPECT_EQ(r.size(), 10u);
  EXPECT_EQ(agg.passthrough_overflow(), 90u);
}

}  // namespace
}  // namespace rollguard::agent
