#include "collector/records_retention.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "collector/commands/command_manager.h"
#include "collector/commands/rollout_manager.h"
#include "collector/storage/key_codec.h"
#include "collector/storage/record_messages.h"
#include "common/record_states.h"
#include "common/status_macros.h"
#include "rollguard/v1/alerts.pb.h"
#include "rollguard/v1/commands.pb.h"
#include "rollguard/v1/incidents.pb.h"

namespace rollguard::collector {

namespace {

// Deletes keys while the pass has budget left.
class Deleter {
 public:
  Deleter(RecordStore& records, size_t budget) : records_(records), budget_(budget) {}
  bool full() const { return budget_ == 0; }
  absl::Status Delete(Table table, const std::vector<std::string>& keys, size_t* count) {
    for (const std::string& k : keys) {
      if (budget_ == 0) break;
      RETURN_IF_ERROR(records_.Delete(table, k));
      --budget_;
      ++*count;
    }
    return absl::OkStatus();
  }
  size_t budget() const { return budget_; }

 private:
  RecordStore& records_;
  size_t budget_;
};

// Tables keyed by time first (8 bytes, big-endian Unix ms): everything below
// the cutoff's key. Keys are collected first, so the scan's iterator and the
// deletes stay apart.
absl::Status PruneTimeKeyed(RecordStore& records, Deleter& del, Table table, int64_t cutoff_ms,
                            size_t* count) {
  std::vector<std::string> keys;
  RETURN_IF_ERROR(records.Scan(table, "", EncodeBigEndian64(static_cast<uint64_t>(cutoff_ms)),
                               [&](absl::string_view key, absl::string_view) {
                                 keys.emplace_back(key);
                                 return keys.size() < del.budget();
                               }));
  return del.Delete(table, keys, count);
}

// Tables keyed by NewTimeOrderedId ("c-20261128-101500-<hex>"): the ids made
// before the cutoff sort below "c-<cutoff stamp>"; of those, the records
// `done` says have ended.
template <typename T, typename Done, typename Also = void (*)(const T&)>
absl::Status PruneIdKeyed(
    RecordStore& records, Deleter& del, Table table, char prefix, int64_t cutoff_ms, Done done,
    size_t* count, Also also = [](const T&) {}) {
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
          also(msg);  // what else goes with it (index entries)
        }
        return keys.size() < del.budget();
      }));
  return del.Delete(table, keys, count);
}

// A pruned rollout's dispatch records ("<rollout id>\0<host>", ids made
// before the cutoff sort below "r-<cutoff stamp>"): those whose rollout
// record is gone.
absl::Status PruneRolloutHosts(RecordStore& records, Deleter& del, int64_t cutoff_ms,
                               size_t* count) {
  const std::string end = absl::StrCat(
      "r-",
      absl::FormatTime("%Y%m%d-%H%M%S", absl::FromUnixMillis(cutoff_ms), absl::UTCTimeZone()));
  std::vector<std::string> keys;
  std::string last_rollout;
  bool last_gone = false;
  absl::Status lookup = absl::OkStatus();
  RETURN_IF_ERROR(
      records.Scan(Table::kRolloutHosts, "r-", end, [&](absl::string_view key, absl::string_view) {
        const absl::string_view rollout = key.substr(0, key.find('\0'));
        if (rollout != last_rollout) {
          last_rollout = std::string(rollout);
          auto found = GetMessage<rollguard::v1::Rollout>(records, Table::kRollouts, last_rollout);
          if (!found.ok()) {
            lookup = found.status();
            return false;
          }
          last_gone = !found->has_value();
        }
        if (last_gone) keys.emplace_back(key);
        return keys.size() < del.budget();
      }));
  RETURN_IF_ERROR(lookup);
  return del.Delete(Table::kRolloutHosts, keys, count);
}

absl::Status PruneExpiredSilences(RecordStore& records, Deleter& del, int64_t cutoff_ms,
                                  size_t* count) {
  std::vector<std::string> keys;
  RETURN_IF_ERROR(
      records.Scan(Table::kSilences, "", "", [&](absl::string_view key, absl::string_view value) {
        rollguard::v1::Silence s;
        if (s.ParseFromArray(value.data(), static_cast<int>(value.size())) &&
            s.ends_ms() < cutoff_ms) {
          keys.emplace_back(key);
        }
        return keys.size() < del.budget();
      }));
  return del.Delete(Table::kSilences, keys, count);
}

// Rollouts still running and the commands of incidents still open: their
// commands are read by the rollout manager and the remediator, whatever age.
struct StillReferenced {
  absl::flat_hash_set<std::string> rollouts;
  absl::flat_hash_set<std::string> commands;
};

absl::StatusOr<StillReferenced> FindStillReferenced(const RecordStore& records) {
  StillReferenced out;
  RETURN_IF_ERROR(ScanMessages<rollguard::v1::Rollout>(records, Table::kRollouts, "", "",
                                                       [&](rollguard::v1::Rollout&& r) {
                                                         if (StateOf(r) == RolloutState::kRunning)
                                                           out.rollouts.insert(r.id());
                                                         return true;
                                                       }));
  RETURN_IF_ERROR(ScanMessages<rollguard::v1::Incident>(
      records, Table::kIncidents, "", "", [&](rollguard::v1::Incident&& i) {
        const IncidentState s = StateOf(i);
        if (s != IncidentState::kResolved && s != IncidentState::kFailed) {
          for (const std::string& c : i.command_ids()) out.commands.insert(c);
        }
        return true;
      }));
  return out;
}

}  // namespace

absl::StatusOr<RecordsPruned> PruneRecords(RecordStore& records, int64_t cutoff_ms,
                                           size_t max_deletes) {
  RecordsPruned out;
  // A retention longer than the clock's age would put the cutoff before 1970
  // (a negative key sorts after every real one): nothing is that old.
  if (cutoff_ms <= 0) return out;
  Deleter del(records, max_deletes);
  RETURN_IF_ERROR(PruneTimeKeyed(records, del, Table::kAudit, cutoff_ms, &out.audit));
  RETURN_IF_ERROR(PruneTimeKeyed(records, del, Table::kAlertEvents, cutoff_ms, &out.alert_events));
  ASSIGN_OR_RETURN(StillReferenced referenced, FindStillReferenced(records));
  std::vector<std::string> host_index;
  RETURN_IF_ERROR(PruneIdKeyed<rollguard::v1::CommandRecord>(
      records, del, Table::kCommands, 'c', cutoff_ms,
      [&](const rollguard::v1::CommandRecord& r) {
        return IsFinal(r.state()) && r.updated_ms() < cutoff_ms &&
               !referenced.rollouts.contains(r.command().rollout_id()) &&
               !referenced.commands.contains(r.command().id());
      },
      &out.commands,
      [&](const rollguard::v1::CommandRecord& r) {
        host_index.push_back(CommandByHostKey(r.host_id(), r.command().id()));
      }));
  // The index entries of the commands pruned (outside the budget: one each).
  Deleter index_del(records, host_index.size());
  size_t index_count = 0;
  RETURN_IF_ERROR(index_del.Delete(Table::kCommandsByHost, host_index, &index_count));
  RETURN_IF_ERROR(PruneIdKeyed<rollguard::v1::Rollout>(
      records, del, Table::kRollouts, 'r', cutoff_ms,
      [&](const rollguard::v1::Rollout& r) {
        return StateOf(r) != RolloutState::kRunning && r.finished_ms() < cutoff_ms;
      },
      &out.rollouts));
  RETURN_IF_ERROR(PruneRolloutHosts(records, del, cutoff_ms, &out.rollout_hosts));
  RETURN_IF_ERROR(PruneIdKeyed<rollguard::v1::Incident>(
      records, del, Table::kIncidents, 'i', cutoff_ms,
      [&](const rollguard::v1::Incident& i) {
        const IncidentState s = StateOf(i);
        return (s == IncidentState::kResolved || s == IncidentState::kFailed) &&
               i.closed_ms() < cutoff_ms;
      },
      &out.incidents));
  RETURN_IF_ERROR(PruneExpiredSilences(records, del, cutoff_ms, &out.silences));
  return out;
}

}  // namespace rollguard::collector
