// The chunk codec and its integer packer: exact round trips for realistic and hostile series, the
// documented policies (order, duplicates, NaN/Inf), and its size on bot-like
// data.
#include "collector/storage/chunk_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "collector/storage/int_packer.h"
#include "collector/storage/key_codec.h"
#include "collector/storage/stored_chunk.h"

namespace rollguard::collector {
namespace {

// Bit-exact equality, so NaN == NaN and -0.0 != 0.0.
bool Same(double a, double b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

void ExpectRoundTrip(const std::vector<Point>& points) {
  auto decoded = DecodeChunk(EncodeChunk(points), points.empty() ? 0 : points[0].timestamp_ms);
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
    EXPECT_FALSE(DecodeChunk(chunk.substr(0, cut), 1).ok()) << cut;
  }
  for (int i = 0; i < 1000; ++i) {
    std::string junk(rng() % 64, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    (void)DecodeChunk(junk, 0);  // must not crash or allocate wildly
  }
}

TEST(ChunkCodecTest, ASpanNearInt64MaxRoundTripsWithoutOverflow) {
  // Found by the fuzzer: rounding the grid step as (span + gaps / 2) / gaps
  // overflowed when the span was within gaps / 2 of int64's maximum.
  std::vector<Point> points;
  const int64_t last = std::numeric_limits<int64_t>::max() - 5;
  for (int64_t i = 0; i < 17; ++i) points.push_back({last / 16 * i, static_cast<double>(i)});
  points.push_back({last, 17});
  ExpectRoundTrip(points);
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
  // ±5 ms of jitter is 11 values: log2(11) = 3.46 bits a timestamp.
  // A drifting gauge's steps (sd 20 in hundredths) add ~6.4 bits; a steady
  // counter or a constant nothing. Allow a little over the entropy (radix
  // groups of 18 base-11 digits take 63 bits: 3.5 a point), plus ~21 bytes
  // of headers (count, first time, step, first value, coding choices).
  EXPECT_LT(EncodeChunk(gauge).size(), 120u * (3.5 + 6.6) / 8 + 24);
  EXPECT_LT(EncodeChunk(counter).size(), 120u * 3.5 / 8 + 24);
  EXPECT_LT(EncodeChunk(constant).size(), 120u * 3.5 / 8 + 24);
  // Timestamps exactly on the interval and a constant: headers only.
  std::vector<Point> steady;
  for (int i = 0; i < 120; ++i) steady.push_back({1'800'000'000'000 + i * 10'000, 7.0});
  EXPECT_LE(EncodeChunk(steady).size(), 24u);
}

TEST(ChunkCodecTest, IrregularTimesAndNonDecimalValuesRoundTrip) {
  std::mt19937 rng(5);
  std::normal_distribution<double> noise(0, 1);
  std::vector<Point> p;
  int64_t t = 1'000;
  for (int i = 0; i < 500; ++i) {
    t += 1 + static_cast<int64_t>(rng() % (i % 50 == 0 ? 1'000'000 : 20));  // bursts and gaps
    p.push_back({t, i % 7 == 0 ? 0.1 : noise(rng)});  // XOR coding, some repeats
  }
  ExpectRoundTrip(p);
  // A slowly changing full-precision gauge: XOR beats 8 bytes a point.
  std::vector<Point> smooth;
  for (int i = 0; i < 120; ++i) smooth.push_back({i * 1000, 100.0 + std::sin(i / 50.0) / 3.0});
  ExpectRoundTrip(smooth);
  // Counter resets and huge jumps inside a decimal series (escaped Rice codes).
  std::vector<Point> resets;
  for (int i = 0; i < 200; ++i) resets.push_back({i * 10'000, i % 60 == 59 ? 0.0 : 1e12 + i * 3.0});
  ExpectRoundTrip(resets);
  // Timestamps at the ends of int64's range wrap without overflow.
  ExpectRoundTrip(
      {{std::numeric_limits<int64_t>::min(), 1}, {0, 2}, {std::numeric_limits<int64_t>::max(), 3}});
}

TEST(StoredChunkTest, KeyHoldsTheFirstTimeAndValueTheSpan) {
  std::vector<Point> p = {{-20'000, 1.5}, {-10'002, 2.5}, {3, 3.25}};
  StoredChunk c = EncodeStoredChunk(9, p, 77);
  EXPECT_EQ(c.key.substr(0, kSampleKeySize), EncodeSampleKey(9, -20'000));  // range scans work
  EXPECT_EQ(*StoredChunkLastMs(c.key, c.value), 3);
  auto back = DecodeStoredChunk(c.key, c.value);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ((*back)[1].timestamp_ms, -10'002);
  EXPECT_EQ((*back)[2].value, 3.25);
  // Two chunks of a series starting together stay two keys.
  EXPECT_NE(EncodeStoredChunk(9, p, 78).key, c.key);
  // Not a chunk key, or a damaged value: an error naming it.
  EXPECT_FALSE(DecodeStoredChunk("short", c.value).ok());
  EXPECT_FALSE(StoredChunkLastMs(c.key, "").ok());
  EXPECT_FALSE(DecodeStoredChunk(c.key, c.value.substr(0, c.value.size() - 1)).ok());
}

TEST(IntPackerTest, RoundTripsAndPicksACheapCoding) {
  auto round_trip = [](const std::vector<int64_t>& v) {
    std::string packed = "prefix";
    PackInts(v, &packed);
    packed += "after";
    absl::string_view in(packed);
    in.remove_prefix(6);
    std::vector<int64_t> out;
    EXPECT_TRUE(UnpackInts(&in, v.size(), &out));
    EXPECT_EQ(out, v);
    EXPECT_EQ(in, "after");  // exactly its own bytes consumed
    return packed.size() - 11;
  };
  std::mt19937 rng(9);
  std::vector<int64_t> jitter, steps, ups, extremes;
  std::normal_distribution<double> step(0, 40);
  for (int i = 0; i < 1000; ++i) {
    jitter.push_back(static_cast<int64_t>(rng() % 9) - 4);
    steps.push_back(static_cast<int64_t>(std::round(step(rng))));
    ups.push_back(static_cast<int64_t>(rng() % 50));
  }
  extremes = {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 0, -1, 1};
  // 9 values: radix, 3.17 bits each (not 4).
  EXPECT_LE(round_trip(jitter), 1000 * 3.2 / 8 + 8);
  // Bell-shaped steps (entropy ~7.4 bits): Rice on zigzag.
  EXPECT_LE(round_trip(steps), 1000 * 7.6 / 8 + 8);
  // 50 values: radix, 5.64 bits each.
  EXPECT_LE(round_trip(ups), 1000 * 5.7 / 8 + 8);
  EXPECT_LE(round_trip(std::vector<int64_t>(1000, 42)), 4u);  // a constant: no bits
  round_trip(extremes);
  round_trip({});
  round_trip({7});
}

TEST(IntPackerTest, DamagedInputIsRefusedNotACrash) {
  std::string packed;
  PackInts({1, 5, -3, 1000, 7, 7, 7}, &packed);
  for (size_t cut = 0; cut < packed.size(); ++cut) {
    absl::string_view in(packed.data(), cut);
    std::vector<int64_t> out;
    EXPECT_FALSE(UnpackInts(&in, 7, &out)) << cut;
  }
  std::mt19937 rng(4);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 40, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    absl::string_view in(junk);
    std::vector<int64_t> out;
    (void)UnpackInts(&in, rng() % 300, &out);
  }
}

}  // namespace
}  // namespace rollguard::collector
