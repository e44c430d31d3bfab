// The collector database's column families and the options each is opened
// with, in one place: the storage opens with them, and tools that open the
// same folder (benchmarks compacting it, say) must use the same.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rollguard::collector {

inline constexpr char kSeriesCf[] = "series";   // id -> SeriesDefinition
inline constexpr char kLogCf[] = "sample_log";  // arrival sequence -> a batch of samples
inline constexpr char kChunksCf[] = "chunks";   // see stored_chunk.h
// Records found damaged at open, moved aside so the collector starts:
// "<column family>\0<original key>\0<time quarantined, ns BE>" -> the original value.
inline constexpr char kQuarantineCf[] = "quarantine";
// The record tables' column families are named in record_store.h.

rocksdb::DBOptions RocksDbDbOptions();
// Every column family, the record tables' included.
std::vector<rocksdb::ColumnFamilyDescriptor> RocksDbColumnFamilies();

// The folder opened directly, with the options above, for tools and tests
// that look under the storage (no collector may be using it).
class RawRocksDb {
 public:
  RawRocksDb(std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : db_(std::move(db)), handles_(std::move(handles)) {}
  RawRocksDb(const RawRocksDb&) = delete;
  RawRocksDb& operator=(const RawRocksDb&) = delete;
  ~RawRocksDb() {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  }
  rocksdb::DB* db() const { return db_.get(); }
  // The named column family (one of the k...Cf names), or null.
  rocksdb::ColumnFamilyHandle* cf(absl::string_view name) const;
  const std::vector<rocksdb::ColumnFamilyHandle*>& handles() const { return handles_; }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};
[[nodiscard]] absl::StatusOr<std::unique_ptr<RawRocksDb>> OpenRawRocksDb(const std::string& dir);

}  // namespace rollguard::collector
