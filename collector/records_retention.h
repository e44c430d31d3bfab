// Records retention: audit entries, alert events, finished commands and
// rollouts, closed incidents and expired silences older than
// `records_retention` (default 90d) are deleted, so the record tables stop
// growing with the fleet's age. What is still open (a running command or
// rollout, an incident not closed, an active alert, a host) is never pruned,
// whatever its age. Runs in the collector's maintenance loop beside sample
// retention.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "collector/storage/record_store.h"

namespace rollguard::collector {

struct RecordsPruned {
  size_t audit = 0;
  size_t alert_events = 0;
  size_t commands = 0;
  size_t rollouts = 0;
  size_t rollout_hosts = 0;  // dispatch records of rollouts pruned
  size_t incidents = 0;
  size_t silences = 0;
  size_t total() const {
    return audit + alert_events + commands + rollouts + rollout_hosts + incidents + silences;
  }
};

// Deletes what ended before `cutoff_ms` (Unix ms; <= 0 deletes nothing), at
// most `max_deletes` records a call so one pass never holds the maintenance
// loop for long (the rest goes at the next pass). A finished command of a
// rollout still running, or of an incident still open, is kept: they read it.
[[nodiscard]] absl::StatusOr<RecordsPruned> PruneRecords(RecordStore& records, int64_t cutoff_ms,
                                                         size_t max_deletes = 100'000);

}  // namespace rollguard::collector
