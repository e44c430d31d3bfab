#include "collector/storage/int_packer.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "collector/storage/bit_stream.h"
#include "collector/storage/varint.h"

namespace rollguard::collector {

namespace {

enum Coding : uint8_t { kRadix = 0, kRiceZigZag = 1, kRiceFromMin = 2 };

constexpr uint64_t kEscapeQuotient = 20;
// Radix coding is only tried for spreads up to this (beyond, a digit fills
// most of a group and Rice does as well).
constexpr uint64_t kMaxRadix = uint64_t{1} << 32;

int BitWidth(uint64_t v) { return static_cast<int>(std::bit_width(v)); }

// The most base-`radix` digits a 64-bit group holds, and radix^that.
int DigitsPerGroup(uint64_t radix) {
  unsigned __int128 p = 1;
  int digits = 0;
  while (p * radix <= (static_cast<unsigned __int128>(1) << 64)) {
    p *= radix;
    ++digits;
  }
  return digits;
}

uint64_t Power(uint64_t radix, int digits) {
  unsigned __int128 p = 1;
  for (int i = 0; i < digits; ++i) p *= radix;
  return static_cast<uint64_t>(p - 1) + 1;  // radix^digits <= 2^64; wraps to 0 for exactly 2^64
}

// Bits of a group of `digits` base-`radix` digits.
int GroupBits(uint64_t radix, int digits) {
  unsigned __int128 p = 1;
  for (int i = 0; i < digits; ++i) p *= radix;
  return BitWidth(static_cast<uint64_t>(p - 1));
}

uint64_t RadixBits(size_t n, uint64_t radix) {
  if (radix <= 1) return 0;
  int per = DigitsPerGroup(radix);
  uint64_t full = n / per;
  size_t rest = n % per;
  return full * GroupBits(radix, per) + (rest > 0 ? GroupBits(radix, static_cast<int>(rest)) : 0);
}

uint64_t RiceBits(absl::Span<const uint64_t> z, int k) {
  uint64_t bits = 0;
  for (uint64_t v : z) {
    uint64_t q = v >> k;
    bits += q < kEscapeQuotient ? q + 1 + k : kEscapeQuotient + 6 + BitWidth(v);
  }
  return bits;
}

// The best Rice parameter: near log2 of the mean, so only a few are tried.
int BestRice(absl::Span<const uint64_t> z, uint64_t* bits) {
  double sum = 0;
  for (uint64_t v : z) sum += static_cast<double>(v);
  double mean = sum / static_cast<double>(z.size());
  int centre = mean < 1 ? 0 : static_cast<int>(std::log2(mean));
  int best_k = 0;
  *bits = std::numeric_limits<uint64_t>::max();
  for (int k = std::max(0, centre - 2); k <= std::min(63, centre + 2); ++k) {
    uint64_t b = RiceBits(z, k);
    if (b < *bits) {
      *bits = b;
      best_k = k;
    }
  }
  return best_k;
}

void PutRice(absl::Span<const uint64_t> z, int k, BitWriter* w) {
  for (uint64_t v : z) {
    uint64_t q = v >> k;
    if (q < kEscapeQuotient) {
      w->PutUnary(q);
      w->Put(v, k);
    } else {
      for (uint64_t i = 0; i < kEscapeQuotient; ++i) w->Put(1, 1);
      int width = BitWidth(v);  // >= 1: v > 0 here
      w->Put(static_cast<uint64_t>(width - 1), 6);
      w->Put(v, width);
    }
  }
}

bool GetRice(BitReader* r, size_t n, int k, std::vector<uint64_t>* z) {
  z->resize(n);
  for (size_t i = 0; i < n; ++i) {
    uint64_t q = 0, low = 0;
    if (!r->GetUnary(kEscapeQuotient, &q)) return false;
    if (q < kEscapeQuotient) {
      if (!r->Get(k, &low)) return false;
      (*z)[i] = (q << k) | low;
    } else {
      uint64_t width = 0;
      if (!r->Get(6, &width) || !r->Get(static_cast<int>(width) + 1, &(*z)[i])) return false;
    }
  }
  return true;
}

void PutRadix(absl::Span<const uint64_t> d, uint64_t radix, BitWriter* w) {
  if (radix <= 1) return;
  int per = DigitsPerGroup(radix);
  for (size_t i = 0; i < d.size(); i += per) {
    size_t end = std::min(d.size(), i + per);
    uint64_t group = 0;  // digits little-endian: d[i] is the lowest
    for (size_t j = end; j-- > i;) group = group * radix + d[j];
    w->Put(group, GroupBits(radix, static_cast<int>(end - i)));
  }
}

bool GetRadix(BitReader* r, size_t n, uint64_t radix, std::vector<uint64_t>* d) {
  d->assign(n, 0);
  if (radix <= 1) return true;
  int per = DigitsPerGroup(radix);
  for (size_t i = 0; i < n; i += per) {
    size_t end = std::min(n, i + per);
    int digits = static_cast<int>(end - i);
    uint64_t group = 0;
    if (!r->Get(GroupBits(radix, digits), &group)) return false;
    // A group at or past radix^digits is damage, not data.
    uint64_t limit = Power(radix, digits);
    if (limit != 0 && group >= limit) return false;
    for (size_t j = i; j < end; ++j) {
      (*d)[j] = group % radix;
      group /= radix;
    }
  }
  return true;
}

}  // namespace

void PackInts(absl::Span<const int64_t> values, std::string* out) {
  if (values.empty()) return;
  auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  const int64_t min = *lo;
  // Wrapping arithmetic: offsets from the minimum fit in 64 unsigned bits.
  const uint64_t spread = static_cast<uint64_t>(*hi) - static_cast<uint64_t>(min);
  std::vector<uint64_t> from_min(values.size()), zigzag(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    from_min[i] = static_cast<uint64_t>(values[i]) - static_cast<uint64_t>(min);
    zigzag[i] = ZigZag(values[i]);
  }
  uint64_t zz_bits = 0, fm_bits = 0;
  int zz_k = BestRice(zigzag, &zz_bits);
  int fm_k = BestRice(from_min, &fm_bits);
  uint64_t radix_bits = std::numeric_limits<uint64_t>::max();
  if (spread < kMaxRadix) radix_bits = RadixBits(values.size(), spread + 1);
  // The minimum costs a varint in the from-min codings; count it too.
  const uint64_t min_bits = 8 * (BitWidth(ZigZag(min)) / 7 + 1);

  if (radix_bits != std::numeric_limits<uint64_t>::max() &&
      radix_bits + min_bits <= std::min(zz_bits, fm_bits + min_bits)) {
    out->push_back(static_cast<char>(kRadix));
    PutVarint(ZigZag(min), out);
    PutVarint(spread, out);
    BitWriter w(out);
    PutRadix(from_min, spread + 1, &w);
  } else if (zz_bits <= fm_bits + min_bits) {
    out->push_back(static_cast<char>(kRiceZigZag));
    out->push_back(static_cast<char>(zz_k));
    BitWriter w(out);
    PutRice(zigzag, zz_k, &w);
  } else {
    out->push_back(static_cast<char>(kRiceFromMin));
    PutVarint(ZigZag(min), out);
    out->push_back(static_cast<char>(fm_k));
    BitWriter w(out);
    PutRice(from_min, fm_k, &w);
  }
}

bool UnpackInts(absl::string_view* in, size_t n, std::vector<int64_t>* out) {
  out->clear();
  if (n == 0) return true;
  // A constant sequence takes no bits, so the input cannot bound the count:
  // a sane cap keeps damaged input from allocating wildly.
  if (n > (size_t{1} << 24) || in->empty()) return false;
  uint8_t coding = static_cast<uint8_t>(in->front());
  in->remove_prefix(1);
  uint64_t zmin = 0, spread = 0, k = 0;
  if (coding == kRadix) {
    if (!GetVarint(in, &zmin) || !GetVarint(in, &spread) || spread >= kMaxRadix) return false;
  } else if (coding == kRiceZigZag || coding == kRiceFromMin) {
    if (coding == kRiceFromMin && !GetVarint(in, &zmin)) return false;
    if (in->empty()) return false;
    k = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    if (k > 63) return false;
  } else {
    return false;
  }
  BitReader r(*in);
  std::vector<uint64_t> raw;
  bool ok = coding == kRadix ? GetRadix(&r, n, spread + 1, &raw)
                             : GetRice(&r, n, static_cast<int>(k), &raw);
  if (!ok) return false;
  in->remove_prefix(r.BytesUsed());
  const uint64_t min = static_cast<uint64_t>(UnZigZag(zmin));
  out->resize(n);
  for (size_t i = 0; i < n; ++i) {
    (*out)[i] = coding == kRiceZigZag ? UnZigZag(raw[i]) : static_cast<int64_t>(raw[i] + min);
  }
  return true;
}

}  // namespace rollguard::collector
