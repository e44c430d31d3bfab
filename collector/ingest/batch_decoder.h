// Checks an agent's MetricBatch and turns it into samples of fleet-wide series.
// Pure logic, no I/O: the stream reactor calls it, tests call it directly.
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "collector/storage/storage.h"
#include "rollguard/v1/metrics.pb.h"

namespace rollguard::collector {

inline constexpr size_t kMaxSamplesPerBatch = 100000;
inline constexpr uint32_t kMaxAgentSeriesId = 1u << 20;

// One stream's map from the agent's series ids to fleet-wide ones.
//
// It also derives duration metrics from probe samples: for every series
// probe_up{probe=NAME} it adds NAME_downtime (seconds since the probe was
// last up; 0 while up), so a rule like "mcp_downtime > 300" means "MCP down
// longer than 5 minutes". After a collector restart or a reconnect the last
// up time is recovered from the stored downtime series.
class StreamSeries {
 public:
  StreamSeries(std::string host_id, Storage* storage);

  // Validates `batch` completely before changing anything: on error nothing
  // is defined or appended, and the message names the sequence and the fault.
  [[nodiscard]] absl::Status Decode(const rollguard::v1::MetricBatch& batch,
                                    std::vector<StoredSample>* out);

  const std::string& host_id() const { return host_id_; }

 private:
  absl::Status CheckDefinition(const rollguard::v1::SeriesDefinition& def) const;

  std::string host_id_;
  Storage* storage_;
  std::vector<SeriesId> ids_;  // agent id -> series id (0 = undefined)
  // agent id -> a 64-bit fingerprint of its key, to tell a conflicting
  // redefinition (the key itself is in the storage's index: no second copy
  // per series, which matters at a million series).
  std::vector<uint64_t> fingerprints_;

  struct Downtime {
    SeriesId series = 0;  // the derived NAME_downtime series
    bool initialised = false;
    int64_t down_since_ms = 0;  // when the probe was last seen up (or first seen down)
    bool down = false;
    int64_t last_ts_ms = 0;
  };
  void DeriveDowntime(Downtime* d, int64_t ts_ms, double up, std::vector<StoredSample>* out);
  absl::flat_hash_map<uint32_t, Downtime> downtime_;  // agent id of a probe_up series -> state
};

}  // namespace rollguard::collector
