#include "common/labels.h"

#include <gtest/gtest.h>

namespace rollguard {
namespace {

TEST(LabelsTest, MetricNames) {
  EXPECT_TRUE(IsValidMetricName("cpu_usage"));
  EXPECT_TRUE(IsValidMetricName("sportsbot:errors_total"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_FALSE(IsValidMetricName("9lives"));
  EXPECT_FALSE(IsValidMetricName("cpu usage"));
  EXPECT_FALSE(IsValidMetricName("cpu-usage"));
}

TEST(LabelsTest, ParseLabelFlag) {
  auto kv = ParseLabelFlag("env=prod");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "env");
  EXPECT_EQ(kv->second, "prod");
  EXPECT_EQ(ParseLabelFlag("url=http://x/?a=b")->second, "http://x/?a=b");
  EXPECT_FALSE(ParseLabelFlag("env").ok());
  EXPECT_FALSE(ParseLabelFlag("=x").ok());
  EXPECT_FALSE(ParseLabelFlag("bad key=x").ok());
}

TEST(LabelsTest, FormatLabelsIsSorted) {
  EXPECT_EQ(FormatLabels({{"b", "2"}, {"a", "1"}}), "{a=1, b=2}");
  EXPECT_EQ(FormatLabels({}), "");
}

}  // namespace
}  // namespace rollguard
