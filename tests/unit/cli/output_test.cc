#include "cli/output.h"

#include <gtest/gtest.h>

namespace rollguard::cli {
namespace {

TEST(OutputTest, TableAlignsColumns) {
  Table t({"host", "cpu"});
  t.AddRow({"bot-1", "12%"});
  t.AddRow({"a-much-longer-host", "3%"});
  EXPECT_EQ(t.Render(),
            "HOST                CPU\n"
            "bot-1               12%\n"
            "a-much-longer-host  3%\n");
}

TEST(OutputTest, Values) {
  EXPECT_EQ(FormatValue(42), "42");
  EXPECT_EQ(FormatValue(42.5), "42.5");
  EXPECT_EQ(FormatValue(1.0 / 3), "0.33");
  EXPECT_EQ(FormatValue(0.001234), "0.00123");
  EXPECT_EQ(FormatValue(-0.0), "0");
}

TEST(OutputTest, Times) {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  EXPECT_EQ(FormatAgo(absl::ToUnixMillis(now - absl::Seconds(12)), now), "12s ago");
  EXPECT_EQ(FormatAgo(0, now), "never");
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01 00:00:00.000");
}

}  // namespace
}  // namespace rollguard::cli

namespace rollguard::cli {
namespace {

TEST(JsonTimesTest, PointsInTimeGetAnRfc3339SiblingDurationsDoNot) {
  const std::string in = R"({"hosts": [{"hostId": "b-1", "lastSeenMs": "1764683670123",
    "firstSeenMs": "0", "clockSkewMs": "-40", "samplesRefused": "9007199254740993"}],
    "rollout": {"durationMs": "1200", "createdMs": 1764683670000, "timestampsMs": ["1"]}})";
  const std::string out = AddRfc3339Times(in);
  EXPECT_NE(out.find(R"("lastSeenMs": "1764683670123",
      "lastSeenTime": "2025-12-02T13:54:30.123Z")"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(R"("firstSeenTime": null)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("createdTime": "2025-12-02T13:54:30.000Z")"), std::string::npos) << out;
  EXPECT_EQ(out.find("clockSkewTime"), std::string::npos) << out;
  EXPECT_EQ(out.find("durationTime"), std::string::npos) << out;
  EXPECT_EQ(out.find("timestampsTime"), std::string::npos) << out;
  // Key order and 64-bit integers are kept as they were.
  EXPECT_NE(out.find(R"("samplesRefused": "9007199254740993")"), std::string::npos) << out;
  EXPECT_LT(out.find("hostId"), out.find("lastSeenMs"));
  EXPECT_LT(out.find("clockSkewMs"), out.find("samplesRefused"));
  EXPECT_EQ(AddRfc3339Times("not json"), "not json");
}

}  // namespace
}  // namespace rollguard::cli
