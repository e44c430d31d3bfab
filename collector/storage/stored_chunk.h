// A sealed chunk as RocksDB holds it, one chunk per key.
//
// Key: the series and the chunk's first timestamp (a sample key, so a range
// scan over keys is a time range of one series), 4 bytes that keep apart two
// chunks of one series starting at the same time, then a format byte (2).
// Value: the span (last - first timestamp) as a varint, so a query can skip a
// chunk ending before its range without decoding it, then EncodeChunk's body
// (which leaves the first timestamp to the key).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collector/storage/storage.h"

namespace rollguard::collector {

// No chunk spans more than this, so a range scan can start this far before
// the range and find every chunk overlapping it.
inline constexpr int64_t kMaxChunkSpanMs = 2 * 3600 * 1000;
inline constexpr size_t kMaxChunkPoints = 4096;

struct StoredChunk {
  std::string key;
  std::string value;
};

// `points` sorted by time, without duplicate timestamps, not empty.
StoredChunk EncodeStoredChunk(uint32_t series, const std::vector<Point>& points, uint32_t uniq);

// The chunk's last timestamp, read without decoding its points.
[[nodiscard]] absl::StatusOr<int64_t> StoredChunkLastMs(absl::string_view key,
                                                        absl::string_view value);

[[nodiscard]] absl::StatusOr<std::vector<Point>> DecodeStoredChunk(absl::string_view key,
                                                                   absl::string_view value);

}  // namespace rollguard::collector
