#include "collector/storage/storage.h"

namespace rollguard::collector {
namespace {

absl::Status NoLog() {
  return absl::UnimplementedError("this storage keeps no sample log (remote write needs RocksDB)");
}

}  // namespace

// Storage without a sample log (the in-memory one in tests) has no readers.
absl::StatusOr<uint64_t> Storage::OpenLogReader(absl::string_view) { return NoLog(); }
absl::Status Storage::AdvanceLogReader(absl::string_view, uint64_t) { return NoLog(); }
absl::Status Storage::RetainLogReaders(const std::vector<std::string>&) { return absl::OkStatus(); }
absl::StatusOr<std::vector<LogRecord>> Storage::ReadLog(uint64_t, size_t, uint64_t*) const {
  return NoLog();
}

}  // namespace rollguard::collector
