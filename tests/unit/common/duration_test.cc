#include "common/duration.h"

#include <gtest/gtest.h>

namespace rollguard {
namespace {

TEST(ParseDurationTest, AcceptsUnitsAndDays) {
  EXPECT_EQ(*ParseDuration("500ms"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseDuration("10s"), absl::Seconds(10));
  EXPECT_EQ(*ParseDuration("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseDuration("30d"), absl::Hours(24 * 30));
  EXPECT_EQ(*ParseDuration("1d12h"), absl::Hours(36));
  EXPECT_EQ(*ParseDuration(" 5m "), absl::Minutes(5));
}

TEST(ParseDurationTest, RejectsGarbageNamingIt) {
  for (const char* bad : {"", "ten", "10", "-5s", "5x", "d", "1dd"}) {
    auto d = ParseDuration(bad);
    ASSERT_FALSE(d.ok()) << bad;
    if (*bad) {
      EXPECT_NE(d.status().message().find(bad), std::string::npos) << d.status();
    }
  }
}

TEST(FormatDurationShortTest, ReadsNaturally) {
  EXPECT_EQ(FormatDurationShort(absl::Milliseconds(250)), "250ms");
  EXPECT_EQ(FormatDurationShort(absl::Seconds(12)), "12.0s");
  EXPECT_EQ(FormatDurationShort(absl::Seconds(185)), "3m5s");
  EXPECT_EQ(FormatDurationShort(absl::Minutes(125)), "2h5m");
  EXPECT_EQ(FormatDurationShort(absl::Hours(48)), "2d");
}

TEST(ParseTimeFlagTest, AgoNowUnixAndRfc3339) {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  EXPECT_EQ(*ParseTimeFlag("now", now), now);
  EXPECT_EQ(*ParseTimeFlag("1h", now), now - absl::Hours(1));
  EXPECT_EQ(*ParseTimeFlag("1700000000", now), absl::FromUnixSeconds(1'700'000'000));
  EXPECT_EQ(*ParseTimeFlag("2026-11-28T10:00:00Z", now),
            absl::FromCivil(absl::CivilSecond(2026, 11, 28, 10, 0, 0), absl::UTCTimeZone()));
  EXPECT_FALSE(ParseTimeFlag("yesterday", now).ok());
  // Dates and zone-less times are UTC, as the CLI prints them.
  EXPECT_EQ(*ParseTimeFlag("1970-01-01", now), absl::UnixEpoch());
  EXPECT_EQ(*ParseTimeFlag("2026-11-28 10:00", now), absl::FromUnixSeconds(1'795'860'000));
  EXPECT_EQ(*ParseTimeFlag("2026-11-28T10:00:30", now), absl::FromUnixSeconds(1'795'860'030));
  EXPECT_FALSE(ParseTimeFlag("2026-13-45", now).ok());
}

}  // namespace
}  // namespace rollguard
