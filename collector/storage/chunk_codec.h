// A sealed chunk of one series: its points, compressed for bot metrics (most
// are gauges with a few decimal digits, counters, and constants, sampled on
// an interval with a few ms of jitter). Bit-packed close to the data's
// entropy (see int_packer.h); RocksDB's zstd is left little to do.
//
// Layout: the point count, then
// Timestamps (the first is not here: the chunk's key holds it, see
// stored_chunk.h): whichever is smaller of offsets from a grid
//   (first + i * step, step the mean interval: the offsets are the jitter) or
//   delta-of-deltas (irregular times), packed.
// Values: when every value is a decimal with at most 6 digits after the point
//   that survives the round trip exactly, scaled integers: the first, then
//   deltas or delta-of-deltas (whichever is smaller: gauges drift, counters
//   rise), packed. Otherwise (NaN, ±Inf, long fractions) Gorilla's XOR coding,
//   or the raw 8 bytes of each double if that is smaller.
//
// Policies: points are sorted by time before encoding; for a duplicate
// timestamp the last written value wins; NaN and ±Inf round-trip bit for bit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collector/storage/point.h"

namespace rollguard::collector {

// A decoder refuses counts above this (the sealer writes at most 4096).
inline constexpr size_t kMaxChunkDecodePoints = size_t{1} << 16;

// `points` sorted by time, no duplicate timestamps (see NormalizePoints).
// The first timestamp is left out: DecodeChunk is given it.
std::string EncodeChunk(const std::vector<Point>& points);
[[nodiscard]] absl::StatusOr<std::vector<Point>> DecodeChunk(absl::string_view bytes,
                                                             int64_t first_ms);

// Sorts by time; of points with one timestamp keeps the one written last.
void NormalizePoints(std::vector<Point>* points);

}  // namespace rollguard::collector
