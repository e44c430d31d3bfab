#include "collector/commands/audit_log.h"

#include <spdlog/spdlog.h>

#include <deque>

#include "absl/time/clock.h"
#include "collector/storage/key_codec.h"
#include "collector/storage/record_messages.h"

namespace rollguard::collector {

void AuditLog::Record(const rollguard::v1::AuditRecord& record) {
  // Time first, then a per-process sequence mixed with the clock's
  // nanoseconds, so records in one millisecond keep distinct keys.
  std::string key = EncodeBigEndian64(static_cast<uint64_t>(record.at_ms()));
  key += EncodeBigEndian64((static_cast<uint64_t>(absl::GetCurrentTimeNanos()) << 16) ^ seq_++);
  if (absl::Status s = records_->Put(Table::kAudit, key, record.SerializeAsString()); !s.ok()) {
    spdlog::error("audit record lost ({} {} {}): {}", record.actor(), record.action(),
                  record.outcome(), s.ToString());
  }
  spdlog::info("audit: {} {} host={} command={} playbook={} -> {}{}{}", record.actor(),
               record.action(), record.host_id(), record.command_id(), record.playbook(),
               record.outcome(), record.reason().empty() ? "" : " - ", record.reason());
}

absl::StatusOr<std::vector<rollguard::v1::AuditRecord>> AuditLog::List(int64_t since_ms,
                                                                       const std::string& host_id,
                                                                       uint32_t limit) const {
  std::deque<rollguard::v1::AuditRecord> out;
  size_t bad = 0;
  absl::Status s = ScanMessages<rollguard::v1::AuditRecord>(
      *records_, Table::kAudit,
      EncodeBigEndian64(static_cast<uint64_t>(std::max<int64_t>(0, since_ms))), "",
      [&](rollguard::v1::AuditRecord&& r) {
        if (!host_id.empty() && r.host_id() != host_id) return true;
        out.push_back(std::move(r));
        if (limit > 0 && out.size() > limit) out.pop_front();
        return true;
      },
      &bad);
  if (!s.ok()) return s;
  if (bad > 0) spdlog::error("{} audit record(s) do not parse; skipped", bad);
  return std::vector<rollguard::v1::AuditRecord>(out.begin(), out.end());
}

}  // namespace rollguard::collector
