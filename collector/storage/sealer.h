// The sealer: a thread that turns full or old heads into compressed chunks
// and then deletes the sample-log records every sample of which is in a
// chunk and which every log reader (remote write) has read. Ingest never waits for it, except under
// memory pressure (WaitForRoom), which is how back-pressure reaches the agents.
#pragma once

#include <rocksdb/db.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <thread>
#include <vector>

#include "collector/storage/log_readers.h"
#include "collector/storage/sample_log.h"
#include "collector/storage/series_heads.h"
#include "common/clock.h"
#include "common/mutex.h"

namespace rollguard::collector {

struct SealerOptions {
  size_t max_head_points = 16'000'000;  // see RocksDbOptions
  size_t head_full_points = 120;
  int64_t seal_interval_ms = 200;
  bool merge_chunks = true;
};

class Sealer {
 public:
  // Borrows everything; they outlive the sealer.
  Sealer(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* chunks, rocksdb::ColumnFamilyHandle* log,
         rocksdb::WriteOptions write_options, SeriesHeads* heads, const LogSequence* log_seq,
         LogReaders* readers, const Clock* clock, SealerOptions options);
  ~Sealer();  // Stop()

  // Starts the thread. `log_first`: the oldest log record still present.
  void Start(uint64_t log_first);
  // Ends the thread (a round in progress finishes first). Idempotent.
  void Stop();
  // Seals every head and truncates the log (closing, after Stop).
  void SealEverything();
  // Back-pressure: while the heads hold more than the limit, waits for the
  // sealer (at most 10 s, or until Stop).
  void WaitForRoom();

  uint64_t chunks_written() const { return chunks_written_.load(); }
  uint64_t chunks_merged() const { return chunks_merged_.load(); }
  uint64_t points_sealed() const { return points_sealed_.load(); }

 private:
  void Loop();
  bool Stopping();
  // Seals due heads (up to one round of points) into chunks, in one write;
  // their points leave the heads once the chunks are durable. True if the
  // round was full, so more heads may be due.
  bool SealOnce(bool everything);
  // Deletes the log records every sample of which is in a chunk and that
  // every reader has read; records the sealed mark for the next open.
  void TruncateLog();

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const chunks_cf_;
  rocksdb::ColumnFamilyHandle* const log_cf_;
  const rocksdb::WriteOptions write_options_;
  SeriesHeads* const heads_;
  const LogSequence* const log_seq_;
  LogReaders* const readers_;
  const Clock* const clock_;
  const SealerOptions options_;

  // Used by the sealing thread only (and by SealEverything after Stop).
  uint64_t truncated_below_ = 0;
  uint64_t sealed_below_ = 0;
  uint32_t chunk_uniq_ = 0;  // keeps chunk keys of one series and start distinct across restarts
  std::vector<uint8_t> chunks_since_merge_;  // by series id

  std::atomic<uint64_t> chunks_written_{0}, chunks_merged_{0}, points_sealed_{0};
  Mutex mu_;
  std::condition_variable wake_;  // a round is due sooner (memory pressure, Stop)
  std::condition_variable room_;  // a round ended: ingest may go on
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace rollguard::collector
