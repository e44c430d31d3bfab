#include "collector/storage/chunk_codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "collector/storage/varint.h"

namespace rollguard::collector {

namespace {

enum ValueMode : uint8_t { kRaw = 0, kScaledDelta = 1, kScaledDeltaOfDelta = 2 };

constexpr double kPow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};

// The smallest decimal scale at which every value is an exact integer that
// fits comfortably in an int64, or -1.
int FindScale(const std::vector<Point>& points) {
  for (int scale = 0; scale <= 6; ++scale) {
    bool ok = true;
    for (const Point& p : points) {
      double scaled = p.value * kPow10[scale];
      if (!std::isfinite(scaled) || std::fabs(scaled) > 9e15) return -1;
      double r = std::nearbyint(scaled);
      // Exact: the integer scaled back is the very same double.
      if (r / kPow10[scale] != p.value || (p.value == 0 && std::signbit(p.value))) {
        ok = false;
        break;
      }
    }
    if (ok) return scale;
  }
  return -1;
}

// Zigzag varints, with a run of zeros (a constant, or a counter's steady
// rate) written as 0 and the run's length less one.
std::string ScaledValues(const std::vector<Point>& points, int scale, bool dod) {
  std::string out;
  int64_t prev = 0, prev_delta = 0;
  uint64_t zeros = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    int64_t v = static_cast<int64_t>(std::nearbyint(points[i].value * kPow10[scale]));
    int64_t delta = v - prev;
    uint64_t z = ZigZag(i == 0 || !dod ? delta : delta - prev_delta);
    prev_delta = delta;
    prev = v;
    if (z == 0) {
      ++zeros;
      continue;
    }
    if (zeros > 0) {
      PutVarint(0, &out);
      PutVarint(zeros - 1, &out);
      zeros = 0;
    }
    PutVarint(z, &out);
  }
  if (zeros > 0) {
    PutVarint(0, &out);
    PutVarint(zeros - 1, &out);
  }
  return out;
}

}  // namespace

void NormalizePoints(std::vector<Point>* points) {
  // stable: among equal timestamps the later-written stays later.
  std::stable_sort(points->begin(), points->end(),
                   [](const Point& a, const Point& b) { return a.timestamp_ms < b.timestamp_ms; });
  std::vector<Point> out;
  out.reserve(points->size());
  for (const Point& p : *points) {
    if (!out.empty() && out.back().timestamp_ms == p.timestamp_ms) {
      out.back() = p;
    } else {
      out.push_back(p);
    }
  }
  *points = std::move(out);
}

std::string EncodeChunk(const std::vector<Point>& points) {
  std::string out;
  PutVarint(points.size(), &out);
  if (points.empty()) return out;
  // Timestamps.
  PutVarint(ZigZag(points[0].timestamp_ms), &out);
  int64_t prev_delta = 0;
  for (size_t i = 1; i < points.size(); ++i) {
    int64_t delta = points[i].timestamp_ms - points[i - 1].timestamp_ms;
    PutVarint(ZigZag(delta - prev_delta), &out);
    prev_delta = delta;
  }
  // Values.
  int scale = FindScale(points);
  if (scale < 0) {
    out.push_back(static_cast<char>(kRaw));
    for (const Point& p : points) {
      char b[8];
      std::memcpy(b, &p.value, 8);
      out.append(b, 8);
    }
    return out;
  }
  std::string delta = ScaledValues(points, scale, false);
  std::string dod = ScaledValues(points, scale, true);
  bool use_dod = dod.size() < delta.size();
  out.push_back(static_cast<char>(use_dod ? kScaledDeltaOfDelta : kScaledDelta));
  out.push_back(static_cast<char>(scale));
  out += use_dod ? dod : delta;
  return out;
}

absl::StatusOr<std::vector<Point>> DecodeChunk(absl::string_view in) {
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
    delta += UnZigZag(z);
    points[i].timestamp_ms = points[i - 1].timestamp_ms + delta;
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
      d += UnZigZag(z);
    }
    v += d;
    points[i].value = static_cast<double>(v) / kPow10[scale];
  }
  if (!in.empty()) return corrupt("trailing bytes");
  return points;
}

}  // namespace rollguard::collector
