#include "collector/records_retention.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "collector/storage/key_codec.h"
#include "common/record_states.h"
#include "common/status_macros.h"
#include "rollguard/v1/alerts.pb.h"
#include "rollguard/v1/commands.pb.h"
#include "rollguard/v1/incidents.pb.h"

namespace rollguard::collector {

namespace {

// Deletes the keys `scan` collected. Collecting first keeps the scan's
// iterator and the deletes apart.
absl::Status DeleteKeys(RecordStore& records, Table table, const std::vector<std::string>& keys,
                        size_t* count) {
  for (const std::string& k : keys) RETURN_IF_ERROR(records.Delete(table, k));
  *count += keys.size();
  return absl::OkStatus();
}

// Tables keyed by time first (8 bytes, big-endian Unix ms): everything below
// the cutoff's key.
absl::Status PruneTimeKeyed(RecordStore& records, Table table, int64_t cutoff_ms, size_t* count) {
  std::vector<std::string> keys;
  RETURN_IF_ERROR(records.Scan(table, "", EncodeBigEndian64(static_cast<uint64_t>(cutoff_ms)),
                               [&](absl::string_view key, absl::string_view) {
                                 keys.emplace_back(key);
                                 return true;
                               }));
  return DeleteKeys(records, table, keys, count);
}

// Tables keyed by NewTimeOrderedId ("c-20261128-101500-<hex>"): the ids made
// before the cutoff sort below "c-<cutoff stamp>"; of those, the records
// `done` says have ended.
template <typename T, typename Done>
absl::Status PruneIdKeyed(RecordStore& records, Table table, char prefix, int64_t cutoff_ms,
                          Done done, size_t* count) {
  const std::string start = absl::StrCat(std::string(1, prefix), "-");
  const std::string end = absl::StrCat(
      start,
      absl::FormatTime("%Y%m%d-%H%M%S", absl::FromUnixMillis(cutoff_ms), absl::UTCTimeZone()));
  std::vector<std::string> keys;
  RETURN_IF_ERROR(
      records.Scan(table, start, end, [&](absl::string_view key, absl::string_view value) {
        T msg;
        // A record that does not parse is left for the damaged-records report.
        if (msg.ParseFromArray(value.data(), static_cast<int>(value.size())) && done(msg)) {
          keys.emplace_back(key);
        }
        return true;
      }));
  return DeleteKeys(records, table, keys, count);
}

absl::Status PruneExpiredSilences(RecordStore& records, int64_t cutoff_ms, size_t* count) {
  std::vector<std::string> keys;
  RETURN_IF_ERROR(
      records.Scan(Table::kSilences, "", "", [&](absl::string_view key, absl::string_view value) {
        rollguard::v1::Silence s;
        if (s.ParseFromArray(value.data(), static_cast<int>(value.size())) &&
            s.ends_ms() < cutoff_ms) {
          keys.emplace_back(key);
        }
        return true;
      }));
  return DeleteKeys(records, Table::kSilences, keys, count);
}

}  // namespace

absl::StatusOr<RecordsPruned> PruneRecords(RecordStore& records, int64_t cutoff_ms) {
  RecordsPruned out;
  RETURN_IF_ERROR(PruneTimeKeyed(records, Table::kAudit, cutoff_ms, &out.audit));
  RETURN_IF_ERROR(PruneTimeKeyed(records, Table::kAlertEvents, cutoff_ms, &out.alert_events));
  RETURN_IF_ERROR(PruneIdKeyed<rollguard::v1::CommandRecord>(
      records, Table::kCommands, 'c', cutoff_ms,
      [&](const rollguard::v1::CommandRecord& r) {
        return IsFinal(r.state()) && r.updated_ms() < cutoff_ms;
      },
      &out.commands));
  RETURN_IF_ERROR(PruneIdKeyed<rollguard::v1::Rollout>(
      records, Table::kRollouts, 'r', cutoff_ms,
      [&](const rollguard::v1::Rollout& r) {
        return StateOf(r) != RolloutState::kRunning && r.finished_ms() < cutoff_ms;
      },
      &out.rollouts));
  RETURN_IF_ERROR(PruneIdKeyed<rollguard::v1::Incident>(
      records, Table::kIncidents, 'i', cutoff_ms,
      [&](const rollguard::v1::Incident& i) {
        const IncidentState s = StateOf(i);
        return (s == IncidentState::kResolved || s == IncidentState::kFailed) &&
               i.closed_ms() < cutoff_ms;
      },
      &out.incidents));
  RETURN_IF_ERROR(PruneExpiredSilences(records, cutoff_ms, &out.silences));
  return out;
}

}  // namespace rollguard::collector
