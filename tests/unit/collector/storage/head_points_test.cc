// Compressed head points: every point round-trips bit for bit (any times, in
// any order; NaN, infinities, negative zero), dropping from the front keeps
// the rest, and typical bot metrics take a few bytes a point.
#include "collector/storage/head_points.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

namespace rollguard::collector {
namespace {

void ExpectSame(const std::vector<Point>& want, const std::vector<Point>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(want[i].timestamp_ms, got[i].timestamp_ms) << "point " << i;
    EXPECT_EQ(std::bit_cast<uint64_t>(want[i].value), std::bit_cast<uint64_t>(got[i].value))
        << "point " << i;
  }
}

TEST(HeadPointsTest, AnyPointsRoundTripBitForBit) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<Point> points = {{1'700'000'000'000, 1.5},
                               {1'700'000'010'003, 1.5},
                               {1'700'000'020'001, -0.0},
                               {1'699'999'990'000, nan},
                               {0, inf},
                               {-5, -inf},
                               {std::numeric_limits<int64_t>::max(), 1e308},
                               {std::numeric_limits<int64_t>::min(), 0},
                               {42, 5e-324}};
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000; ++i) {
    points.push_back({static_cast<int64_t>(rng()), std::bit_cast<double>(rng())});
  }
  HeadPoints head;
  for (const Point& p : points) head.Append(p);
  EXPECT_EQ(head.size(), points.size());
  ExpectSame(points, head.Decode());
}

TEST(HeadPointsTest, DroppingFromTheFrontKeepsTheRestAndAppendsGoOn) {
  std::vector<Point> points;
  for (int i = 0; i < 50; ++i)
    points.push_back({1000 + i * 10'000 + (i % 3), 20.0 + (i % 7) * 0.25});
  HeadPoints head;
  for (const Point& p : points) head.Append(p);
  head.DropFront(30);
  head.Append({9'999'999, 3.25});
  std::vector<Point> want(points.begin() + 30, points.end());
  want.push_back({9'999'999, 3.25});
  ExpectSame(want, head.Decode());
  head.DropFront(1000);
  EXPECT_TRUE(head.empty());
  EXPECT_TRUE(head.Decode().empty());
  head.Append({5, 1});
  ExpectSame({{5, 1}}, head.Decode());
}

TEST(HeadPointsTest, TypicalMetricsTakeAFewBytesAPoint) {
  // 60 points of a gauge at 10 s with a few ms of jitter, a counter, a constant.
  HeadPoints gauge, counter, constant;
  std::mt19937 rng(1);
  double g = 41.5;
  for (int i = 0; i < 60; ++i) {
    const int64_t t = 1'700'000'000'000 + i * 10'000 + static_cast<int>(rng() % 20);
    g += (static_cast<int>(rng() % 5) - 2) * 0.5;
    gauge.Append({t, g});
    counter.Append({t, 1000.0 + i * 37});
    constant.Append({t, 1.0});
  }
  // 16 bytes a point uncompressed (the first two carry the full time).
  EXPECT_LE(gauge.encoded_bytes(), 60u * 5);
  EXPECT_LE(counter.encoded_bytes(), 60u * 5);
  EXPECT_LE(constant.encoded_bytes(), 60u * 2 + 16);
  // Grown a quarter at a time.
  EXPECT_LE(constant.bytes(), constant.encoded_bytes() * 5 / 4 + 40);
}

}  // namespace
}  // namespace rollguard::collector
