#include "collector/storage/chunk_codec_v1.h"

#include <cstring>
#include <string>

#include "collector/storage/varint.h"

namespace rollguard::collector {

namespace {
enum ValueMode : uint8_t { kRaw = 0, kScaledDelta = 1, kScaledDeltaOfDelta = 2 };
constexpr double kPow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
// Damaged input can hold any deltas: wrap rather than overflow.
int64_t Add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
}  // namespace

absl::StatusOr<std::vector<Point>> DecodeChunkV1(absl::string_view in) {
  auto corrupt = [](const char* what) {
    return absl::DataLossError(std::string("chunk does not decode: ") + what);
  };
  uint64_t n = 0;
  // Every point takes at least a byte, so the count cannot exceed the input.
  if (!GetVarint(&in, &n) || n > in.size()) return corrupt("count");
  std::vector<Point> points(n);
  if (n == 0) return points;
  uint64_t z = 0;
  if (!GetVarint(&in, &z)) return corrupt("first timestamp");
  points[0].timestamp_ms = UnZigZag(z);
  int64_t delta = 0;
  for (size_t i = 1; i < n; ++i) {
    if (!GetVarint(&in, &z)) return corrupt("timestamps");
    delta = Add(delta, UnZigZag(z));
    points[i].timestamp_ms = Add(points[i - 1].timestamp_ms, delta);
  }
  if (in.empty()) return corrupt("value mode");
  uint8_t mode = static_cast<uint8_t>(in.front());
  in.remove_prefix(1);
  if (mode == kRaw) {
    if (in.size() != n * 8) return corrupt("raw values");
    for (size_t i = 0; i < n; ++i) std::memcpy(&points[i].value, in.data() + i * 8, 8);
    return points;
  }
  if (mode != kScaledDelta && mode != kScaledDeltaOfDelta) return corrupt("unknown value mode");
  if (in.empty()) return corrupt("scale");
  int scale = static_cast<uint8_t>(in.front());
  in.remove_prefix(1);
  if (scale > 6) return corrupt("scale");
  int64_t v = 0, d = 0;
  uint64_t zeros = 0;  // left in the current run of zeros
  for (size_t i = 0; i < n; ++i) {
    if (zeros > 0) {
      --zeros;
      z = 0;
    } else {
      if (!GetVarint(&in, &z)) return corrupt("values");
      if (z == 0) {
        if (!GetVarint(&in, &zeros) || zeros >= n) return corrupt("zero run");
      }
    }
    if (mode == kScaledDelta || i == 0) {
      d = UnZigZag(z);
    } else {
      d = Add(d, UnZigZag(z));
    }
    v = Add(v, d);
    points[i].value = static_cast<double>(v) / kPow10[scale];
  }
  if (!in.empty()) return corrupt("trailing bytes");
  return points;
}

}  // namespace rollguard::collector
