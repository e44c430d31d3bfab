#include "collector/storage/head_points.h"

#include <bit>

#include "absl/strings/string_view.h"
#include "collector/storage/varint.h"

namespace rollguard::collector {
namespace {

uint64_t BitsOf(double v) { return std::bit_cast<uint64_t>(v); }

// One value as the XOR with the previous value's bits: a 0 byte when equal;
// otherwise a header byte 1 + (trailing zero bytes << 3 | kept bytes - 1),
// then the kept bytes, low first.
// Returns the bytes written to `out` (at most 9).
size_t PutXor(uint64_t x, char* out) {
  if (x == 0) {
    out[0] = 0;
    return 1;
  }
  const int trailing = std::countr_zero(x) / 8;
  const int kept = 8 - std::countl_zero(x) / 8 - trailing;
  out[0] = static_cast<char>(1 + (trailing << 3 | (kept - 1)));
  x >>= trailing * 8;
  for (int i = 0; i < kept; ++i, x >>= 8) out[1 + i] = static_cast<char>(x & 0xff);
  return 1 + kept;
}

uint64_t GetXor(absl::string_view* in) {
  const uint8_t header = static_cast<uint8_t>(in->front());
  in->remove_prefix(1);
  if (header == 0) return 0;
  const int trailing = (header - 1) >> 3;
  const int kept = ((header - 1) & 7) + 1;
  uint64_t x = 0;
  for (int i = 0; i < kept; ++i) x |= uint64_t{static_cast<uint8_t>((*in)[i])} << (8 * i);
  in->remove_prefix(kept);
  return x << (trailing * 8);
}

}  // namespace

void HeadPoints::Append(const Point& p) {
  // Wrapping arithmetic: any int64 times round-trip, in any order.
  const int64_t delta =
      static_cast<int64_t>(static_cast<uint64_t>(p.timestamp_ms) - static_cast<uint64_t>(last_ms_));
  char buf[19];
  size_t n = PutVarint(ZigZag(static_cast<int64_t>(static_cast<uint64_t>(delta) -
                                                   static_cast<uint64_t>(last_delta_))),
                       buf);
  const uint64_t bits = BitsOf(p.value);
  n += PutXor(bits ^ last_bits_, buf + n);
  if (bytes_.capacity() - bytes_.size() < n) {
    bytes_.reserve(bytes_.size() + bytes_.size() / 4 + 32);
  }
  bytes_.insert(bytes_.end(), buf, buf + n);
  last_ms_ = p.timestamp_ms;
  last_delta_ = delta;
  last_bits_ = bits;
  ++count_;
}

std::vector<Point> HeadPoints::Decode() const {
  std::vector<Point> out;
  out.reserve(count_);
  absl::string_view in(bytes_.data(), bytes_.size());
  uint64_t ms = 0;
  uint64_t delta = 0;
  uint64_t bits = 0;
  for (uint32_t i = 0; i < count_; ++i) {
    uint64_t dod = 0;
    GetVarint(&in, &dod);  // written by Append: never short
    delta += static_cast<uint64_t>(UnZigZag(dod));
    ms += delta;
    bits ^= GetXor(&in);
    out.push_back({static_cast<int64_t>(ms), std::bit_cast<double>(bits)});
  }
  return out;
}

void HeadPoints::DropFront(size_t n) {
  if (n == 0) return;
  std::vector<Point> keep = Decode();
  *this = HeadPoints();
  for (size_t i = n; i < keep.size(); ++i) Append(keep[i]);
  bytes_.shrink_to_fit();
}

}  // namespace rollguard::collector
