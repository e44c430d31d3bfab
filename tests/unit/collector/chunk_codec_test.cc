// The chunk codec: exact round trips for realistic and hostile series, the
// documented policies (order, duplicates, NaN/Inf), and its size on bot-like
// data.
#include "collector/storage/chunk_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

namespace rollguard::collector {
namespace {

// Bit-exact equality, so NaN == NaN and -0.0 != 0.0.
bool Same(double a, double b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

void ExpectRoundTrip(const std::vector<Point>& points) {
  auto decoded = DecodeChunk(EncodeChunk(points));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->size(), points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    EXPECT_EQ((*decoded)[i].timestamp_ms, points[i].timestamp_ms) << i;
    EXPECT_TRUE(Same((*decoded)[i].value, points[i].value))
        << i << ": " << (*decoded)[i].value << " vs " << points[i].value;
  }
}

// Every 10 s with a few ms of jitter, as agents send them.
std::vector<Point> Jittered(size_t n, std::mt19937* rng, const std::function<double(size_t)>& v) {
  std::uniform_int_distribution<int> jitter(-5, 5);
  std::vector<Point> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back({1'800'000'000'000 + static_cast<int64_t>(i) * 10'000 + jitter(*rng), v(i)});
  }
  return out;
}

TEST(ChunkCodecTest, RoundTripsRealisticSeries) {
  std::mt19937 rng(7);
  std::normal_distribution<double> step(0, 0.3);
  double g = 40;
  ExpectRoundTrip(Jittered(120, &rng, [&](size_t) {
    g += step(rng);
    return std::round(g * 100) / 100;  // a gauge with two decimals
  }));
  ExpectRoundTrip(Jittered(120, &rng, [](size_t i) { return 1000.0 + 37.0 * i; }));  // counter
  ExpectRoundTrip(Jittered(120, &rng, [](size_t) { return 1.0; }));                  // constant
  ExpectRoundTrip(Jittered(120, &rng, [&](size_t) { return step(rng); }));  // full-precision noise
  ExpectRoundTrip({});
  ExpectRoundTrip({{5, 0.1}});
}

TEST(ChunkCodecTest, RoundTripsEdgeValuesBitForBit) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  ExpectRoundTrip({{1, nan}, {2, inf}, {3, -inf}, {4, 0.5}});
  ExpectRoundTrip({{1, -0.0}, {2, 0.0}});
  ExpectRoundTrip({{1, 1e300}, {2, -1e-300}, {3, std::numeric_limits<double>::denorm_min()}});
  ExpectRoundTrip({{1, 9e15}, {2, -9e15}, {3, 0.000001}, {4, 123456.789012}});
  // Timestamps far apart, negative, and with irregular gaps.
  ExpectRoundTrip({{-5'000, 1}, {0, 2}, {1, 3}, {86'400'000'000, 4}});
}

TEST(ChunkCodecTest, NormalizeSortsAndTheLastWriteOfATimestampWins) {
  std::vector<Point> p = {{30, 3}, {10, 1}, {20, 2}, {10, 9}, {30, 4}};
  NormalizePoints(&p);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].timestamp_ms, 10);
  EXPECT_EQ(p[0].value, 9);  // written after 1
  EXPECT_EQ(p[1].value, 2);
  EXPECT_EQ(p[2].value, 4);
}

TEST(ChunkCodecTest, GarbageIsAnErrorNotACrash) {
  std::mt19937 rng(3);
  std::string chunk = EncodeChunk({{1, 1.5}, {2, 2.5}, {3, 3.5}});
  for (size_t cut = 0; cut < chunk.size(); ++cut) {
    EXPECT_FALSE(DecodeChunk(chunk.substr(0, cut)).ok()) << cut;
  }
  for (int i = 0; i < 1000; ++i) {
    std::string junk(rng() % 64, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    (void)DecodeChunk(junk);  // must not crash or allocate wildly
  }
}

TEST(ChunkCodecTest, BotLikeDataIsSmall) {
  std::mt19937 rng(11);
  std::normal_distribution<double> step(0, 0.2);
  double cpu = 20;
  auto gauge = Jittered(120, &rng, [&](size_t) {
    cpu = std::clamp(cpu + step(rng), 0.0, 100.0);
    return std::round(cpu * 100) / 100;
  });
  auto counter = Jittered(120, &rng, [](size_t i) { return 5000.0 + 12.0 * i; });
  auto constant = Jittered(120, &rng, [](size_t) { return 1.0; });
  // Before RocksDB's compression: ~2 bytes a point for a drifting gauge,
  // ~1 for counters and constants (the timestamp jitter is most of it).
  EXPECT_LT(EncodeChunk(gauge).size(), 120u * 3);
  EXPECT_LT(EncodeChunk(counter).size(), 120u * 2);
  EXPECT_LT(EncodeChunk(constant).size(), 120u * 2);
}

}  // namespace
}  // namespace rollguard::collector
