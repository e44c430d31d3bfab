// Derives duration metrics from probe samples: for every series
// probe_up{probe=NAME} it adds NAME_downtime (seconds since the probe was last
// up; 0 while up), so a rule like "mcp_downtime > 300" means "MCP down longer
// than 5 minutes". After a collector restart or a reconnect the start of an
// outage is recovered from the stored downtime series, which may read
// RocksDB: that is why this runs in the stream's storage job, not in the
// decoder on gRPC's reaction thread.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "collector/storage/storage.h"

namespace rollguard::collector {

// A probe_up series and the NAME_downtime series derived from it.
struct ProbeSeries {
  SeriesId probe_up = 0;
  SeriesId downtime = 0;
};

// One per agent stream. Not thread-safe: the stream calls it from one job at
// a time, in batch order (see Turnstile).
class ProbeDowntime {
 public:
  explicit ProbeDowntime(const Storage* storage) : storage_(storage) {}

  // Starts deriving for probes a batch defined. A probe already tracked keeps its state.
  void Track(absl::Span<const ProbeSeries> probes);

  // Appends a downtime sample to `samples` for each probe_up sample in it. A
  // resent sample (not newer than the last one seen) derives nothing.
  void Derive(std::vector<StoredSample>* samples);

 private:
  struct State {
    SeriesId downtime = 0;
    bool initialised = false;
    int64_t down_since_ms = 0;  // when the probe was last seen up (or first seen down)
    bool down = false;
    int64_t last_ts_ms = 0;
  };
  void Step(State* d, int64_t ts_ms, double up, std::vector<StoredSample>* out) const;

  const Storage* storage_;
  absl::flat_hash_map<SeriesId, State> probes_;  // keyed by the probe_up series
};

}  // namespace rollguard::collector
