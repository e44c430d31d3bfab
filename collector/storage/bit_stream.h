// Bit-level writing and reading for the chunk codec: least significant bit
// first, a stream ends at the next byte boundary. The reader never reads past
// its input and reports a short stream as failure (chunks come from disk and
// may be damaged).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace rollguard::collector {

class BitWriter {
 public:
  explicit BitWriter(std::string* out) : out_(out) {}
  BitWriter(const BitWriter&) = delete;
  BitWriter& operator=(const BitWriter&) = delete;
  ~BitWriter() { Finish(); }

  // The low `bits` (0..64) bits of `v`.
  void Put(uint64_t v, int bits) {
    while (bits > 0) {
      int take = std::min(bits, 64 - pending_);  // pending_ < 8, so take >= 57
      uint64_t part = take == 64 ? v : v & ((uint64_t{1} << take) - 1);
      acc_ |= part << pending_;
      pending_ += take;
      bits -= take;
      v = take == 64 ? 0 : v >> take;
      while (pending_ >= 8) {
        out_->push_back(static_cast<char>(acc_ & 0xff));
        acc_ >>= 8;
        pending_ -= 8;
      }
    }
  }
  // `n` one bits, then a zero.
  void PutUnary(uint64_t n) {
    for (; n >= 32; n -= 32) Put(0xffffffffu, 32);
    Put((uint64_t{1} << n) - 1, static_cast<int>(n) + 1);
  }
  // Pads the last byte with zeros. Idempotent.
  void Finish() {
    if (pending_ > 0) {
      out_->push_back(static_cast<char>(acc_ & 0xff));
      acc_ = 0;
      pending_ = 0;
    }
  }

 private:
  std::string* out_;
  uint64_t acc_ = 0;
  int pending_ = 0;  // bits in acc_ not yet written; < 8 between calls
};

class BitReader {
 public:
  explicit BitReader(absl::string_view in) : in_(in) {}

  // False when fewer than `bits` (0..64) bits are left.
  bool Get(int bits, uint64_t* v) {
    if (bits > 32) {
      uint64_t lo = 0, hi = 0;
      if (!Get(32, &lo) || !Get(bits - 32, &hi)) return false;
      *v = lo | (hi << 32);
      return true;
    }
    while (avail_ < bits && pos_ < in_.size()) {
      acc_ |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_++])) << avail_;
      avail_ += 8;
    }
    if (avail_ < bits) return false;
    *v = bits == 0 ? 0 : acc_ & ((uint64_t{1} << bits) - 1);
    acc_ >>= bits;  // bits <= 32 here
    avail_ -= bits;
    return true;
  }
  // Counts one bits up to a zero, or up to `max` ones (then no zero follows).
  bool GetUnary(uint64_t max, uint64_t* n) {
    *n = 0;
    while (*n < max) {
      uint64_t bit = 0;
      if (!Get(1, &bit)) return false;
      if (bit == 0) return true;
      ++*n;
    }
    return true;
  }
  // Whole bytes the stream used; the rest of the input follows it.
  size_t BytesUsed() const { return pos_ - static_cast<size_t>(avail_ / 8); }

 private:
  absl::string_view in_;
  size_t pos_ = 0;
  uint64_t acc_ = 0;
  int avail_ = 0;  // bits loaded into acc_, not yet returned; <= 39
};

}  // namespace rollguard::collector
