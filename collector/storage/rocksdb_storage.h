// Storage on RocksDB, shaped like the time-series stores that ingest fast:
// each batch is made durable as one record in "sample_log" (one write, then
// acknowledged; sample_log.h); samples collect per series in in-memory heads
// (series_heads.h); a sealer thread (sealer.h) turns full or old heads into
// compressed chunks in "chunks" (series + first time, big-endian;
// stored_chunk.h), merging each series' small chunks as they accumulate
// (chunk_writer.h), and then deletes the log records they came from. On open,
// the heads are rebuilt from the log records still present. Queries merge the
// heads with the chunks (chunk_query.h). Other column families: "series" (id
// -> definition; series_index.h) and one per record table (rocksdb_records.h).
// Where each column family's options live: rocksdb_layout.h.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "collector/storage/storage.h"
#include "common/clock.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace rollguard::collector {

struct RocksDbOptions {
  // fsync the WAL on every Append. Off: an acknowledged sample survives a
  // crash of the collector process (the WAL is in the OS page cache) but not
  // necessarily a power loss. On: survives both, at a write-latency cost.
  bool sync_writes = false;
  // Points held in the heads before ingest waits for the sealer (16 bytes a
  // point; at half of it the sealer seals smaller chunks).
  size_t max_head_points = 16'000'000;
  // A head this long is sealed into a chunk.
  size_t head_full_points = 120;
  // How often the sealer looks for heads to seal.
  int64_t seal_interval_ms = 200;
  // Merge each series' newest small chunks as they accumulate (see
  // chunk_writer.h); off only to measure what merging saves.
  bool merge_chunks = true;
  // Seal every head when closing (tests turn it off to simulate a crash).
  bool seal_on_close = true;
  // Wall time for the heads' ages (when a head is old enough to seal).
  const Clock* clock = &Clock::Real();
  // The file system RocksDB uses; null: the real one. Fault tests put a
  // full-disk simulation here (tests/fakes/full_disk_fs.h).
  std::shared_ptr<rocksdb::Env> env;
};

// Opens (creating if needed) the database in `dir`. An error names the folder
// and the cause (e.g. another collector holding its lock).
[[nodiscard]] absl::StatusOr<std::unique_ptr<Storage>> OpenRocksDbStorage(
    const std::string& dir, const RocksDbOptions& options);

}  // namespace rollguard::collector
