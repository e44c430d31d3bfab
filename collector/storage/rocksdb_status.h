// RocksDB's status and slices in the collector's terms: one mapping of
// rocksdb::Status to absl::Status (NotFound, DataLoss for corruption, ...),
// so every storage file reports errors the same way.
#pragma once

#include <rocksdb/slice.h>
#include <rocksdb/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rollguard::collector {

inline absl::string_view ToView(const rocksdb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}

// OK for OK; otherwise "`what`: RocksDB's message" with a matching code.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what);

}  // namespace rollguard::collector
