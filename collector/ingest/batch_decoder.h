// Checks an agent's MetricBatch and turns it into samples of fleet-wide series.
// Pure logic, no I/O: the stream reactor calls it, tests call it directly.
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "collector/ingest/ingest_limits.h"
#include "collector/ingest/probe_downtime.h"
#include "collector/storage/storage.h"
#include "rollguard/v1/metrics.pb.h"

namespace rollguard::collector {

inline constexpr size_t kMaxSamplesPerBatch = 100000;

// What a valid batch becomes: samples of fleet-wide series, and the probe_up
// series it defined (whose downtime the storage job derives; see
// probe_downtime.h).
struct DecodedBatch {
  std::vector<StoredSample> samples;
  std::vector<ProbeSeries> new_probes;
  // Samples left out because their time is outside the window (the batch is
  // still accepted: the agent must not resend them), and why, for the ack.
  uint32_t refused = 0;
  std::string refused_reason;
};

// One stream's map from the agent's series ids to fleet-wide ones. Interning
// a series is in memory, so decoding never waits on the disk. Its memory is
// bounded by limits.max_series_per_stream, whatever ids the agent uses.
class StreamSeries {
 public:
  StreamSeries(std::string host_id, Storage* storage, IngestLimits limits = {});

  // Validates `batch` completely before changing anything: on error nothing
  // is defined or appended, and the message names the sequence and the fault.
  // Samples dated outside `window` are left out and counted in out->refused,
  // as are the samples of series new to the collector past
  // max_series_per_host or max_series (those definitions are refused for the
  // rest of the stream; the batch's other series go in).
  [[nodiscard]] absl::Status Decode(const rollguard::v1::MetricBatch& batch, TimeWindow window,
                                    DecodedBatch* out);

  const std::string& host_id() const { return host_id_; }
  size_t series_defined() const { return defined_.size(); }

 private:
  absl::Status CheckDefinition(const rollguard::v1::SeriesDefinition& def) const;

  struct Defined {
    SeriesId id = 0;  // 0: refused over a series bound
    // A 64-bit fingerprint of its key, to tell a conflicting redefinition
    // (the key itself is in the storage's index: no second copy per series).
    uint64_t fingerprint = 0;
  };

  // The series id for an agent id, 0 if undefined.
  SeriesId Lookup(uint32_t agent_id) const;

  std::string host_id_;
  Storage* storage_;
  IngestLimits limits_;
  absl::flat_hash_map<uint32_t, Defined> defined_;  // by the agent's series id
  // The hot path's copy of defined_ for small ids (agents number their series
  // 1, 2, 3, ...): an index instead of a hash lookup per sample. It only
  // grows to ids below 4 x the series defined + 64, so its memory follows
  // the series count, not the largest id a client sends.
  std::vector<SeriesId> dense_;
  // Why this stream's refused definitions were refused (for the acks of
  // later batches that still carry their samples).
  std::string over_reason_;
};

}  // namespace rollguard::collector
