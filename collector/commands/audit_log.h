// The audit log: who asked for what, when, why, and how it ended. Append-only
// records keyed by time, so "since" is one range scan.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "collector/storage/record_store.h"
#include "rollguard/v1/commands.pb.h"

namespace rollguard::collector {

// Thread-safe.
class AuditLog {
 public:
  explicit AuditLog(RecordStore* records) : records_(records) {}

  // Never fails the caller's action: a storage error is logged.
  void Record(const rollguard::v1::AuditRecord& record);

  // Oldest first; at most `limit` (the newest kept) when limit > 0.
  [[nodiscard]] absl::StatusOr<std::vector<rollguard::v1::AuditRecord>> List(
      int64_t since_ms, const std::string& host_id, uint32_t limit) const;

 private:
  RecordStore* const records_;
  std::atomic<uint64_t> seq_{0};
};

}  // namespace rollguard::collector
