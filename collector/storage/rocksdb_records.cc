#include "collector/storage/rocksdb_records.h"

#include <memory>

#include "collector/storage/rocksdb_status.h"

namespace rollguard::collector {

RocksDbRecords::RocksDbRecords(rocksdb::DB* db,
                               const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
                               rocksdb::WriteOptions write_options)
    : db_(db), write_options_(write_options) {
  for (auto* cf : handles) {
    for (int t = 0; t < kTableCount; ++t) {
      if (cf->GetName() == kTableNames[t]) tables_[t] = cf;
    }
  }
}

absl::Status RocksDbRecords::Put(Table table, absl::string_view key, absl::string_view value) {
  return FromRocks(db_->Put(write_options_, Cf(table), rocksdb::Slice(key.data(), key.size()),
                            rocksdb::Slice(value.data(), value.size())),
                   "writing record");
}

absl::Status RocksDbRecords::Delete(Table table, absl::string_view key) {
  return FromRocks(db_->Delete(write_options_, Cf(table), rocksdb::Slice(key.data(), key.size())),
                   "deleting record");
}

absl::Status RocksDbRecords::Scan(
    Table table, absl::string_view start, absl::string_view end,
    const std::function<bool(absl::string_view, absl::string_view)>& fn) const {
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper(end.data(), end.size());
  if (!end.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, Cf(table)));
  for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
    if (!fn(ToView(it->key()), ToView(it->value()))) break;
  }
  return FromRocks(it->status(), "scanning records");
}

}  // namespace rollguard::collector
