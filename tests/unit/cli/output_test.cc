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
