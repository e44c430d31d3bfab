// Writes sealed points as chunks, merging each series' newest small chunks as
// they accumulate.
//
// Why merge: a head is sealed when full (120 points), when old (10 minutes:
// 60 points at a 10 s interval) or, under memory pressure, as small as 8
// points; each stored chunk costs ~45 bytes of key, headers and index on top
// of its points, so small chunks would more than double the bytes a sample.
// Merging is tiered, like an LSM tree's: when at least `fan_in - 1` trailing
// chunks, each no larger than the newer points gathered so far, sit within
// one chunk span of the new points, they are rewritten together with them.
// Every point is rewritten about log_fan_in(target / seal size) times, and a
// chunk of `target` points or more is left alone.
//
// Finding a series' trailing chunks is a RocksDB seek (a block read and
// decompressed), so the writer counts, per series, the chunks written since
// its last merge, and looks only when `fan_in - 1` of them could be there.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "collector/storage/storage.h"

namespace rollguard::collector {

struct ChunkLimits {
  int64_t max_span_ms = 2 * 3600 * 1000;  // no chunk spans more (queries rely on it)
  size_t max_points = 4096;
  size_t merge_target = 480;  // a chunk this large is not merged again
  size_t merge_fan_in = 4;    // chunks (with the new one) that make a merge
  bool merge = true;
};

// Used by one thread at a time (the sealer); reads the chunks as they were
// when it was made, so make one per batch of seals.
class ChunkWriter {
 public:
  // `since_merge`: per series id, the chunks written since its last merge
  // (the caller keeps it across writers; it may start empty, e.g. after a
  // restart: merging then starts a little later).
  ChunkWriter(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* chunks, const ChunkLimits& limits,
              uint32_t* uniq, std::vector<uint8_t>* since_merge);

  // Adds to `batch` the chunks holding `points` (sorted, no duplicate times)
  // of `series`, merged with the series' newest small chunks when due (their
  // keys deleted in the same batch). A damaged stored chunk is not merged
  // (and logged); only a failing read is an error. Call once per series per
  // batch.
  [[nodiscard]] absl::Status Add(SeriesId series, std::vector<Point> points,
                                 rocksdb::WriteBatch* batch);

  // Chunks this writer put, and old chunks it merged into them.
  size_t written_chunks() const { return written_chunks_; }
  size_t merged_chunks() const { return merged_chunks_; }

 private:
  void Put(SeriesId series, const std::vector<Point>& points, rocksdb::WriteBatch* batch);

  rocksdb::ColumnFamilyHandle* chunks_;
  ChunkLimits limits_;
  uint32_t* uniq_;
  std::vector<uint8_t>* since_merge_;
  rocksdb::DB* db_;
  std::unique_ptr<rocksdb::Iterator> it_;  // made on first use
  size_t written_chunks_ = 0;
  size_t merged_chunks_ = 0;
};

}  // namespace rollguard::collector
