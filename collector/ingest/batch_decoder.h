// Checks an agent's MetricBatch and turns it into samples of fleet-wide series.
// Pure logic, no I/O: the stream reactor calls it, tests call it directly.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "collector/ingest/probe_downtime.h"
#include "collector/storage/storage.h"
#include "rollguard/v1/metrics.pb.h"

namespace rollguard::collector {

inline constexpr size_t kMaxSamplesPerBatch = 100000;
inline constexpr uint32_t kMaxAgentSeriesId = 1u << 20;

// What a valid batch becomes: samples of fleet-wide series, and the probe_up
// series it defined (whose downtime the storage job derives; see
// probe_downtime.h).
struct DecodedBatch {
  std::vector<StoredSample> samples;
  std::vector<ProbeSeries> new_probes;
};

// One stream's map from the agent's series ids to fleet-wide ones. Interning
// a series is in memory, so decoding never waits on the disk.
class StreamSeries {
 public:
  StreamSeries(std::string host_id, Storage* storage);

  // Validates `batch` completely before changing anything: on error nothing
  // is defined or appended, and the message names the sequence and the fault.
  [[nodiscard]] absl::Status Decode(const rollguard::v1::MetricBatch& batch, DecodedBatch* out);

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
};

}  // namespace rollguard::collector
