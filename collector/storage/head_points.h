// A head's points, compressed as they arrive: the points of a series not yet
// sealed stay in memory for up to max_age (10 min), and at 16 bytes a point
// the heads were the collector's largest user of memory on a big fleet
// (10,000 hosts x 20 series x 60 points: 192 MB). Here a point takes 2-5
// bytes for typical bot metrics: its time as a delta-of-delta varint (a
// regular interval with jitter: 1-2 bytes), its value as the XOR with the
// previous value's bits, only the bytes that differ kept (a constant: 1 byte).
//
// Append-only, in arrival order (which need not be time order: any times
// round-trip). Dropping from the front re-encodes what is left; heads do
// that once per seal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "collector/storage/point.h"

namespace rollguard::collector {

class HeadPoints {
 public:
  void Append(const Point& p);
  // Every point, in the order appended.
  std::vector<Point> Decode() const;
  // Forgets the first `n` points (all when n >= size()).
  void DropFront(size_t n);

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Encoded size, and the memory held (grown by a quarter at a time, not
  // doubled: 200,000 heads' slack adds up).
  size_t encoded_bytes() const { return bytes_.size(); }
  size_t bytes() const { return bytes_.capacity(); }

 private:
  std::vector<char> bytes_;
  uint32_t count_ = 0;
  int64_t last_ms_ = 0;
  int64_t last_delta_ = 0;
  uint64_t last_bits_ = 0;
};

}  // namespace rollguard::collector
