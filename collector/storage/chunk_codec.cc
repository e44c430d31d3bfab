#include "collector/storage/chunk_codec.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "collector/storage/bit_stream.h"
#include "collector/storage/int_packer.h"
#include "collector/storage/varint.h"

namespace rollguard::collector {

namespace {

enum TimeMode : uint8_t { kGrid = 0, kTimeDeltaOfDelta = 1 };
enum ValueMode : uint8_t { kRaw = 0, kXor = 1, kScaledDelta = 2, kScaledDeltaOfDelta = 3 };

constexpr double kPow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};

// Timestamps are sorted, but arbitrary int64s: wrap rather than overflow.
int64_t Sub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
int64_t Add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t Mul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

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

// Grid: the points' offsets from first + i * step (agents sample on an
// interval; the offsets are the jitter). Delta-of-delta: for irregular times.
void PutTimestamps(const std::vector<Point>& p, std::string* out) {
  const size_t n = p.size();
  if (n == 1) return;
  const int64_t span = Sub(p[n - 1].timestamp_ms, p[0].timestamp_ms);
  // The span divided by the gaps, rounded half up, without the overflow of
  // (span + gaps / 2) when the span is near int64's maximum (fuzzer-found).
  const int64_t gaps = static_cast<int64_t>(n - 1);
  const int64_t step = span >= 0 ? span / gaps + ((span % gaps) * 2 >= gaps ? 1 : 0) : span / gaps;
  std::vector<int64_t> offsets(n - 1);
  for (size_t i = 1; i < n; ++i) {
    offsets[i - 1] =
        Sub(p[i].timestamp_ms, Add(p[0].timestamp_ms, Mul(step, static_cast<int64_t>(i))));
  }
  std::string grid;
  grid.push_back(static_cast<char>(kGrid));
  PutVarint(ZigZag(step), &grid);
  PackInts(offsets, &grid);

  std::string dod;
  dod.push_back(static_cast<char>(kTimeDeltaOfDelta));
  int64_t prev_delta = Sub(p[1].timestamp_ms, p[0].timestamp_ms);
  PutVarint(ZigZag(prev_delta), &dod);
  std::vector<int64_t> dods;
  dods.reserve(n);
  for (size_t i = 2; i < n; ++i) {
    int64_t delta = Sub(p[i].timestamp_ms, p[i - 1].timestamp_ms);
    dods.push_back(Sub(delta, prev_delta));
    prev_delta = delta;
  }
  PackInts(dods, &dod);
  *out += grid.size() <= dod.size() ? grid : dod;
}

bool GetTimestamps(absl::string_view* in, int64_t first_ms, std::vector<Point>* p) {
  const size_t n = p->size();
  uint64_t z = 0;
  (*p)[0].timestamp_ms = first_ms;
  if (n == 1) return true;
  if (in->empty()) return false;
  uint8_t mode = static_cast<uint8_t>(in->front());
  in->remove_prefix(1);
  std::vector<int64_t> ints;
  if (mode == kGrid) {
    if (!GetVarint(in, &z) || !UnpackInts(in, n - 1, &ints)) return false;
    const int64_t step = UnZigZag(z), t0 = (*p)[0].timestamp_ms;
    for (size_t i = 1; i < n; ++i) {
      (*p)[i].timestamp_ms = Add(Add(t0, Mul(step, static_cast<int64_t>(i))), ints[i - 1]);
    }
    return true;
  }
  if (mode != kTimeDeltaOfDelta) return false;
  if (!GetVarint(in, &z) || !UnpackInts(in, n - 2, &ints)) return false;
  int64_t delta = UnZigZag(z);
  (*p)[1].timestamp_ms = Add((*p)[0].timestamp_ms, delta);
  for (size_t i = 2; i < n; ++i) {
    delta = Add(delta, ints[i - 2]);
    (*p)[i].timestamp_ms = Add((*p)[i - 1].timestamp_ms, delta);
  }
  return true;
}

// Gorilla's XOR coding (Pelkonen et al., VLDB 2015) for values that are not
// short decimals: an unchanged value is one bit; otherwise the bits that
// changed, inside the previous window of leading/trailing zeros if they fit.
void PutXor(const std::vector<Point>& p, std::string* out) {
  BitWriter w(out);
  uint64_t prev = std::bit_cast<uint64_t>(p[0].value);
  w.Put(prev, 64);
  int lead = -1, trail = 0;  // the window; none yet
  for (size_t i = 1; i < p.size(); ++i) {
    uint64_t bits = std::bit_cast<uint64_t>(p[i].value);
    uint64_t x = bits ^ prev;
    prev = bits;
    if (x == 0) {
      w.Put(0, 1);
      continue;
    }
    int l = std::min(std::countl_zero(x), 31), t = std::countr_zero(x);
    if (lead >= 0 && l >= lead && t >= trail) {
      w.Put(0b01, 2);  // '1' then '0': inside the window
      w.Put(x >> trail, 64 - lead - trail);
    } else {
      w.Put(0b11, 2);
      w.Put(static_cast<uint64_t>(l), 5);
      w.Put(static_cast<uint64_t>(64 - l - t - 1), 6);
      w.Put(x >> t, 64 - l - t);
      lead = l;
      trail = t;
    }
  }
}

bool GetXor(absl::string_view* in, std::vector<Point>* p) {
  BitReader r(*in);
  uint64_t prev = 0;
  if (!r.Get(64, &prev)) return false;
  (*p)[0].value = std::bit_cast<double>(prev);
  int lead = -1, trail = 0;
  for (size_t i = 1; i < p->size(); ++i) {
    uint64_t changed = 0, outside = 0, x = 0;
    if (!r.Get(1, &changed)) return false;
    if (changed) {
      if (!r.Get(1, &outside)) return false;
      if (outside) {
        uint64_t l = 0, len = 0;
        if (!r.Get(5, &l) || !r.Get(6, &len)) return false;
        if (l + len + 1 > 64) return false;
        lead = static_cast<int>(l);
        trail = 64 - lead - static_cast<int>(len) - 1;
      } else if (lead < 0) {
        return false;
      }
      if (!r.Get(64 - lead - trail, &x)) return false;
      prev ^= x << trail;
    }
    (*p)[i].value = std::bit_cast<double>(prev);
  }
  in->remove_prefix(r.BytesUsed());
  return true;
}

void PutScaled(const std::vector<Point>& p, int scale, std::string* out) {
  const size_t n = p.size();
  std::vector<int64_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<int64_t>(std::nearbyint(p[i].value * kPow10[scale]));
  std::vector<int64_t> deltas, dods;
  for (size_t i = 1; i < n; ++i) deltas.push_back(v[i] - v[i - 1]);
  for (size_t i = 1; i < deltas.size(); ++i) dods.push_back(deltas[i] - deltas[i - 1]);

  std::string by_delta;
  by_delta.push_back(static_cast<char>(kScaledDelta));
  by_delta.push_back(static_cast<char>(scale));
  PutVarint(ZigZag(v[0]), &by_delta);
  PackInts(deltas, &by_delta);

  std::string by_dod;
  by_dod.push_back(static_cast<char>(kScaledDeltaOfDelta));
  by_dod.push_back(static_cast<char>(scale));
  PutVarint(ZigZag(v[0]), &by_dod);
  if (n > 1) PutVarint(ZigZag(deltas[0]), &by_dod);
  PackInts(dods, &by_dod);
  *out += by_delta.size() <= by_dod.size() ? by_delta : by_dod;
}

bool GetScaled(absl::string_view* in, bool dod, std::vector<Point>* p) {
  const size_t n = p->size();
  if (in->empty()) return false;
  int scale = static_cast<uint8_t>(in->front());
  in->remove_prefix(1);
  uint64_t z = 0;
  if (scale > 6 || !GetVarint(in, &z)) return false;
  int64_t v = UnZigZag(z), delta = 0;
  std::vector<int64_t> ints;
  if (dod && n > 1) {
    if (!GetVarint(in, &z)) return false;
    delta = UnZigZag(z);
  }
  const size_t packed = dod ? (n > 2 ? n - 2 : 0) : n - 1;
  if (!UnpackInts(in, packed, &ints)) return false;
  (*p)[0].value = static_cast<double>(v) / kPow10[scale];
  for (size_t i = 1; i < n; ++i) {
    if (!dod) {
      delta = ints[i - 1];
    } else if (i >= 2) {
      delta = Add(delta, ints[i - 2]);
    }
    v = Add(v, delta);
    (*p)[i].value = static_cast<double>(v) / kPow10[scale];
  }
  return true;
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
  PutTimestamps(points, &out);
  if (int scale = FindScale(points); scale >= 0) {
    PutScaled(points, scale, &out);
    return out;
  }
  std::string by_xor(1, static_cast<char>(kXor));
  PutXor(points, &by_xor);
  if (by_xor.size() <= 1 + points.size() * 8) {
    out += by_xor;
    return out;
  }
  out.push_back(static_cast<char>(kRaw));
  for (const Point& p : points) {
    char b[8];
    std::memcpy(b, &p.value, 8);
    out.append(b, 8);
  }
  return out;
}

absl::StatusOr<std::vector<Point>> DecodeChunk(absl::string_view in, int64_t first_ms) {
  auto corrupt = [](const char* what) {
    return absl::DataLossError(std::string("chunk does not decode: ") + what);
  };
  uint64_t n = 0;
  if (!GetVarint(&in, &n) || n > kMaxChunkDecodePoints) return corrupt("count");
  std::vector<Point> points(n);
  if (n == 0) {
    if (!in.empty()) return corrupt("trailing bytes");
    return points;
  }
  if (!GetTimestamps(&in, first_ms, &points)) return corrupt("timestamps");
  if (in.empty()) return corrupt("value mode");
  uint8_t mode = static_cast<uint8_t>(in.front());
  in.remove_prefix(1);
  bool ok = false;
  switch (mode) {
    case kRaw:
      ok = in.size() >= n * 8;
      for (size_t i = 0; ok && i < n; ++i) std::memcpy(&points[i].value, in.data() + i * 8, 8);
      if (ok) in.remove_prefix(n * 8);
      break;
    case kXor:
      ok = GetXor(&in, &points);
      break;
    case kScaledDelta:
    case kScaledDeltaOfDelta:
      ok = GetScaled(&in, mode == kScaledDeltaOfDelta, &points);
      break;
    default:
      return corrupt("unknown value mode");
  }
  if (!ok) return corrupt("values");
  if (!in.empty()) return corrupt("trailing bytes");
  return points;
}

}  // namespace rollguard::collector
