// Reading sealed chunks back: the points of one series in a time range, and
// its newest sealed point. The heads (not yet sealed) are the caller's part;
// see RocksDbStorage::Query for how the two are merged without a gap.
#pragma once

#include <rocksdb/db.h>

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "collector/storage/storage.h"

namespace rollguard::collector {

// Appends the sealed points of `id` with start_ms <= t < end_ms to `out`,
// chunk by chunk in key order (not merged or deduplicated).
[[nodiscard]] absl::Status ReadChunks(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* chunks,
                                      SeriesId id, int64_t start_ms, int64_t end_ms,
                                      std::vector<Point>* out);

// The last point of the newest sealed chunk of `id`, if any.
[[nodiscard]] absl::StatusOr<std::optional<Point>> NewestChunkPoint(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* chunks, SeriesId id);

}  // namespace rollguard::collector
