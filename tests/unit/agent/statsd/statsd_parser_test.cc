#include "agent/statsd/statsd_parser.h"

#include <gtest/gtest.h>

namespace rollguard::agent {
namespace {

StatsdLine Parse(absl::string_view text) {
  StatsdLine l;
  absl::Status s = ParseStatsdLine(text, &l);
  EXPECT_TRUE(s.ok()) << text << ": " << s;
  return l;
}

TEST(StatsdParserTest, EveryType) {
  EXPECT_EQ(Parse("hits:3|c").type, StatsdType::kCounter);
  EXPECT_EQ(Parse("hits:3|c").values[0], 3);
  EXPECT_EQ(Parse("temp:21.5|g").type, StatsdType::kGauge);
  EXPECT_FALSE(Parse("temp:21.5|g").gauge_delta);
  EXPECT_TRUE(Parse("temp:-2|g").gauge_delta);
  EXPECT_TRUE(Parse("temp:+2|g").gauge_delta);
  EXPECT_EQ(Parse("rt:320.5|ms").type, StatsdType::kTimer);
  EXPECT_EQ(Parse("rt:320.5|ms").values[0], 320.5);
  EXPECT_EQ(Parse("size:12|h").type, StatsdType::kHistogram);
  EXPECT_EQ(Parse("size:12|d").type, StatsdType::kDistribution);
  StatsdLine set = Parse("users:alice|s");
  EXPECT_EQ(set.type, StatsdType::kSet);
  EXPECT_EQ(set.set_member, "alice");
}

TEST(StatsdParserTest, SampleRateAndTags) {
  StatsdLine l = Parse("sportsbot.response_time:250|ms|@0.25|#op:create_channels,env:prod,canary");
  EXPECT_EQ(l.name, "sportsbot.response_time");
  EXPECT_DOUBLE_EQ(l.sample_rate, 0.25);
  ASSERT_EQ(l.tags.size(), 3u);
  EXPECT_EQ(l.tags[0].key, "op");
  EXPECT_EQ(l.tags[0].value, "create_channels");
  EXPECT_EQ(l.tags[2].key, "canary");
  EXPECT_EQ(l.tags[2].value, "");
  // Tags before the rate, and DogStatsD's container and timestamp fields.
  StatsdLine m = Parse("x:1|c|#a:b|@0.5|c:abc123|T1700000000");
  EXPECT_DOUBLE_EQ(m.sample_rate, 0.5);
  EXPECT_EQ(m.tags.size(), 1u);
}

TEST(StatsdParserTest, PackedValues) {
  StatsdLine l = Parse("rt:10:20:30|ms");
  ASSERT_EQ(l.values.size(), 3u);
  EXPECT_EQ(l.values[2], 30);
}

TEST(StatsdParserTest, GarbageIsRefusedWithAReason) {
  struct Case {
    const char* line;
    const char* why;
  } cases[] = {
      {"no type at all", "no '|type' field"},
      {"novalue|c", "no ':' between name and value"},
      {":1|c", "empty metric name"},
      {"x:1|q", "unknown type 'q'"},
      {"x:abc|c", "value 'abc' is not a finite number"},
      {"x:|c", "value '' is not a finite number"},
      {"x:nan|g", "not a finite number"},
      {"x:inf|ms", "not a finite number"},
      {"x:-5|ms", "negative timer value"},
      {"x:1|c|@0", "sample rate must be in (0, 1]"},
      {"x:1|c|@1.5", "sample rate must be in (0, 1]"},
      {"x:1|c|@abc", "sample rate must be in (0, 1]"},
      {"x:1|c|#:v", "tag with an empty name"},
      {"x:1|c|zzz", "unknown field 'zzz'"},
      {"x:1|c||", "empty field"},
      {"x:|s", "empty set member"},
      {"x:1:|ms", "not a finite number"},
  };
  for (const auto& tc : cases) {
    StatsdLine l;
    absl::Status s = ParseStatsdLine(tc.line, &l);
    ASSERT_FALSE(s.ok()) << tc.line;
    EXPECT_NE(s.message().find(tc.why), std::string::npos) << tc.line << " -> " << s;
  }
}

TEST(StatsdParserTest, ABadLineDoesNotSpoilTheDatagram) {
  std::vector<std::string> good, bad;
  ParseStatsdDatagram(
      "a:1|c\nthis is garbage\r\n\nb:2|g\nc:x|ms\nd:4|ms",
      [&](const StatsdLine& l) { good.emplace_back(l.name); },
      [&](absl::string_view text, const absl::Status&) { bad.emplace_back(text); });
  EXPECT_EQ(good, (std::vector<std::string>{"a", "b", "d"}));
  EXPECT_EQ(bad, (std::vector<std::string>{"this is garbage", "c:x|ms"}));
}

}  // namespace
}  // namespace rollguard::agent
