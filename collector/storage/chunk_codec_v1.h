// The first chunk format (byte-aligned varints), still read for chunks
// written before the bit-packed format; no longer written (see
// stored_chunk.h for how the two are told apart).
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collector/storage/point.h"

namespace rollguard::collector {

// Layout: varint point count; the first
// timestamp, then delta-of-deltas, as zigzag varints; a value mode byte: raw
// doubles, or a decimal scale and zigzag-varint deltas / delta-of-deltas with
// runs of zeros as (0, run length - 1).
[[nodiscard]] absl::StatusOr<std::vector<Point>> DecodeChunkV1(absl::string_view in);

}  // namespace rollguard::collector
