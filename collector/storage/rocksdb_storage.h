// Storage on RocksDB, one key per sample. Column families keep unrelated data
// apart: "series" (id -> definition), "samples" (series+time -> value),
// "hosts" (host id -> registry record).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "collector/storage/storage.h"

namespace rollguard::collector {

struct RocksDbOptions {
  // fsync the WAL on every Append. Off: an acknowledged sample survives a
  // crash of the collector process (the WAL is in the OS page cache) but not
  // necessarily a power loss. On: survives both, at a write-latency cost.
  bool sync_writes = false;
};

// Opens (creating if needed) the database in `dir`. An error names the folder
// and the cause (e.g. another collector holding its lock).
[[nodiscard]] absl::StatusOr<std::unique_ptr<Storage>> OpenRocksDbStorage(
    const std::string& dir, const RocksDbOptions& options);

}  // namespace rollguard::collector
