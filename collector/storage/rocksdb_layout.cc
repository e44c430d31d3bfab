#include "collector/storage/rocksdb_layout.h"

#include <rocksdb/table.h>
#include <rocksdb/utilities/table_properties_collectors.h>

#include "collector/storage/record_store.h"

namespace rollguard::collector {

rocksdb::DBOptions RocksDbDbOptions() {
  rocksdb::DBOptions db_opts;
  db_opts.create_if_missing = true;
  db_opts.create_missing_column_families = true;
  db_opts.max_background_jobs = 2;
  db_opts.keep_log_file_num = 5;
  return db_opts;
}

std::vector<rocksdb::ColumnFamilyDescriptor> RocksDbColumnFamilies() {
  rocksdb::ColumnFamilyOptions small_opts;
  small_opts.OptimizeForSmallDb();
  // Series definitions repeat the same metric names and label keys/values:
  // zstd over large blocks shrinks them ~5x.
  rocksdb::ColumnFamilyOptions series_opts = small_opts;
  series_opts.compression = rocksdb::kZSTD;
  series_opts.bottommost_compression = rocksdb::kZSTD;
  rocksdb::BlockBasedTableOptions series_table;
  series_table.block_size = 64 << 10;
  series_opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(series_table));

  // Chunks are bit-packed already: compression mostly finds repeated headers.
  // LZ4 where chunks are young (the sealer seeks there to merge them, and a
  // seek decompresses a block), zstd at the bottom level where data settles.
  rocksdb::ColumnFamilyOptions chunk_opts;
  chunk_opts.compression = rocksdb::kLZ4Compression;
  chunk_opts.bottommost_compression = rocksdb::kZSTD;
  chunk_opts.bottommost_compression_opts.level = 9;
  chunk_opts.bottommost_compression_opts.enabled = true;
  chunk_opts.write_buffer_size = 32 << 20;
  rocksdb::BlockBasedTableOptions chunk_table;
  chunk_table.block_size = 16 << 10;
  chunk_opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(chunk_table));
  // Merging small chunks deletes their keys: a file that is mostly tombstones
  // is compacted soon rather than when its level fills.
  chunk_opts.table_properties_collector_factories.push_back(
      rocksdb::NewCompactOnDeletionCollectorFactory(/*sliding_window_size=*/1024,
                                                    /*deletion_trigger=*/512,
                                                    /*deletion_ratio=*/0.5));
  // The log lives for minutes: flushed rarely, never worth compressing hard.
  rocksdb::ColumnFamilyOptions log_opts;
  log_opts.compression = rocksdb::kNoCompression;
  log_opts.write_buffer_size = 32 << 20;

  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, small_opts},
      {kSeriesCf, series_opts},
      {kLogCf, log_opts},
      {kChunksCf, chunk_opts},
      {kQuarantineCf, small_opts},
  };
  for (const char* name : kTableNames) cfs.emplace_back(name, small_opts);
  return cfs;
}

rocksdb::ColumnFamilyHandle* RawRocksDb::cf(absl::string_view name) const {
  for (auto* h : handles_) {
    if (h->GetName() == name) return h;
  }
  return nullptr;
}

absl::StatusOr<std::unique_ptr<RawRocksDb>> OpenRawRocksDb(const std::string& dir) {
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(RocksDbDbOptions(), dir, RocksDbColumnFamilies(), &handles, &raw);
  if (!s.ok()) return absl::UnavailableError("opening " + dir + ": " + s.ToString());
  return std::make_unique<RawRocksDb>(std::unique_ptr<rocksdb::DB>(raw), std::move(handles));
}

}  // namespace rollguard::collector
