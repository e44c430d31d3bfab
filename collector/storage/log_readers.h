// Readers of the sample log (remote write) and the log's own progress marks,
// kept in the database's default column family so they survive a restart:
//   "log_reader/<name>" -> the reader's next record (8 bytes, big-endian)
//   "log_sealed_below"  -> every record below it is in a chunk
// The sealer deletes a record only once it is sealed and every reader has
// read past it; on open, the heads are rebuilt from the sealed mark on, so
// records kept only for a slow reader are not replayed.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/mutex.h"

namespace rollguard::collector {

inline constexpr uint64_t kNoReader = std::numeric_limits<uint64_t>::max();

class LogReaders {
 public:
  // Borrows the database; `meta` is its default column family.
  LogReaders(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta, rocksdb::WriteOptions wo)
      : db_(db), meta_(meta), write_options_(wo) {}

  // Reads the cursors and the sealed mark kept by an earlier run.
  [[nodiscard]] absl::Status Load();
  // The cursor of `name`; a reader seen for the first time starts at `end`
  // (new samples only) and is persisted before this returns.
  [[nodiscard]] absl::StatusOr<uint64_t> Open(absl::string_view name, uint64_t end);
  // Persists the reader's progress: records below `next` are read.
  [[nodiscard]] absl::Status Advance(absl::string_view name, uint64_t next);
  // Forgets every reader not named (one removed from the config would
  // otherwise hold the log forever).
  [[nodiscard]] absl::Status Retain(const std::vector<std::string>& names);

  // The lowest cursor (kNoReader without readers): the log is kept from here.
  uint64_t Min() const;
  // The highest cursor (0 without readers): new records must number above it.
  uint64_t Max() const;
  uint64_t sealed_below() const;
  // Records the sealed mark in `batch` (written with the log's truncation).
  void NoteSealed(uint64_t below, rocksdb::WriteBatch* batch);

 private:
  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const meta_;
  const rocksdb::WriteOptions write_options_;
  mutable Mutex mu_;
  std::map<std::string, uint64_t, std::less<>> cursors_ ABSL_GUARDED_BY(mu_);
  uint64_t sealed_below_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace rollguard::collector
