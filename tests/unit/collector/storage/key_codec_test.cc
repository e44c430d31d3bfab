#include "collector/storage/key_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace rollguard::collector {
namespace {

TEST(KeyCodecTest, RoundTrip) {
  for (int64_t t : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{1'800'000'000'000},
                    std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    uint32_t s = 0;
    int64_t back = 0;
    ASSERT_TRUE(DecodeSampleKey(EncodeSampleKey(77, t), &s, &back));
    EXPECT_EQ(s, 77u);
    EXPECT_EQ(back, t);
  }
  EXPECT_FALSE(DecodeSampleKey("short", nullptr, nullptr));
}

TEST(KeyCodecTest, BytewiseOrderIsSeriesThenTime) {
  // RocksDB compares bytes: this order is what makes a range scan a time range.
  EXPECT_LT(EncodeSampleKey(1, 5), EncodeSampleKey(1, 6));
  EXPECT_LT(EncodeSampleKey(1, -5), EncodeSampleKey(1, 5));
  EXPECT_LT(EncodeSampleKey(1, std::numeric_limits<int64_t>::max()), EncodeSampleKey(2, 0));
  EXPECT_LT(EncodeSampleKey(1, 255), EncodeSampleKey(1, 256));
  EXPECT_LT(EncodeSampleKey(255, 0), EncodeSampleKey(256, 0));
}

TEST(KeyCodecTest, ValuesKeepEveryBit) {
  for (double v : {0.0, -0.0, 42.5, 1e-300, std::numeric_limits<double>::infinity()}) {
    double back = 0;
    ASSERT_TRUE(DecodeValue(EncodeValue(v), &back));
    EXPECT_EQ(std::signbit(back), std::signbit(v));
    EXPECT_EQ(back, v);
  }
  double nan_back = 0;
  ASSERT_TRUE(DecodeValue(EncodeValue(std::nan("")), &nan_back));
  EXPECT_TRUE(std::isnan(nan_back));
}

}  // namespace
}  // namespace rollguard::collector
