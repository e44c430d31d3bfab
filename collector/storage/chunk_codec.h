// A sealed chunk of one series: its points, compressed for bot metrics (most
// are gauges with a few decimal digits, counters, and constants, sampled on
// an interval with a few ms of jitter).
//
// Timestamps: the first as a varint, then delta-of-deltas as zigzag varints,
// so a steady interval with jitter costs one byte a point.
// Values: when every value in the chunk is a decimal with at most 6 digits
// after the point that survives the round trip exactly, they become scaled
// integers, coded as zigzag-varint deltas or delta-of-deltas (whichever is
// smaller: gauges drift, counters rise). Otherwise (NaN, ±Inf, long
// fractions) the 8 bytes of each double go in as they are: exact, and left to
// RocksDB's zstd.
//
// Policies: points are sorted by time before encoding; for a duplicate
// timestamp the last written value wins; NaN and ±Inf round-trip bit for bit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collector/storage/storage.h"

namespace rollguard::collector {

// `points` sorted by time, no duplicate timestamps (see NormalizePoints).
std::string EncodeChunk(const std::vector<Point>& points);
[[nodiscard]] absl::StatusOr<std::vector<Point>> DecodeChunk(absl::string_view bytes);

// Sorts by time; of points with one timestamp keeps the one written last.
void NormalizePoints(std::vector<Point>* points);

}  // namespace rollguard::collector
