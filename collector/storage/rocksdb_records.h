// The record tables (alerts, commands, audit, hosts, ...) on RocksDB: one
// column family per Table, written through the storage's write options.
#pragma once

#include <rocksdb/db.h>

#include <vector>

#include "collector/storage/record_store.h"

namespace rollguard::collector {

// Thread-safe (RocksDB is). Does not own the database or the handles.
class RocksDbRecords final : public RecordStore {
 public:
  // `handles`: every column family of the database; the tables' are picked out
  // by name. All must be present.
  RocksDbRecords(rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
                 rocksdb::WriteOptions write_options);

  absl::Status Put(Table table, absl::string_view key, absl::string_view value) override;
  absl::Status Delete(Table table, absl::string_view key) override;
  absl::Status Scan(
      Table table, absl::string_view start, absl::string_view end,
      const std::function<bool(absl::string_view, absl::string_view)>& fn) const override;

 private:
  rocksdb::ColumnFamilyHandle* Cf(Table t) const { return tables_[static_cast<int>(t)]; }

  rocksdb::DB* const db_;
  const rocksdb::WriteOptions write_options_;
  rocksdb::ColumnFamilyHandle* tables_[kTableCount] = {};
};

}  // namespace rollguard::collector
