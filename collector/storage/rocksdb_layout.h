// The collector database's column families and the options each is opened
// with, in one place: the storage opens with them, and tools that open the
// same folder (benchmarks compacting it, say) must use the same.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <vector>

namespace rollguard::collector {

inline constexpr char kSeriesCf[] = "series";  // id -> SeriesDefinition
// The first layout (one key per sample): still read and expired, no longer written.
inline constexpr char kSamplesCf[] = "samples";
inline constexpr char kLogCf[] = "sample_log";  // arrival sequence -> a batch of samples
inline constexpr char kChunksCf[] = "chunks";   // see stored_chunk.h
inline constexpr char kHostsCf[] = "hosts";

rocksdb::DBOptions RocksDbDbOptions();
// Every column family, the record tables' included.
std::vector<rocksdb::ColumnFamilyDescriptor> RocksDbColumnFamilies();

}  // namespace rollguard::collector
