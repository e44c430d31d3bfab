// Sample-log records -> one remote-write request body: a prometheus
// WriteRequest (proto/prometheus/remote.proto), snappy-compressed in block
// format, as the protocol (version 0.1.0) asks. Each series is sent with its
// labels sorted by name and "__name__" holding the metric.
//
// An agent that resends a batch after a reconnect puts its samples in the log
// twice: a sample at the same time as the newest one sent for its series is
// left out and counted. Older samples are sent (Prometheus takes them inside
// its out_of_order_time_window; VictoriaMetrics always).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "collector/storage/storage.h"

namespace rollguard::collector {

struct BuiltRequest {
  std::string body;  // empty when no sample is left to send
  size_t samples = 0;
  size_t series = 0;
  size_t not_newer = 0;       // left out: a duplicate of the newest sent of their series
  size_t unknown_series = 0;  // left out: the series' definition is gone
  int64_t newest_ms = 0;      // of the samples in body
};

// Not thread-safe: one per remote writer.
class WriteRequestBuilder {
 public:
  // Series whose labels and last sent time are remembered, at most.
  static constexpr size_t kMaxCachedSeries = 1'000'000;

  explicit WriteRequestBuilder(const Storage* storage) : storage_(storage) {}

  BuiltRequest Build(absl::Span<const LogRecord> records);
  // The last Build's samples are past (sent, or given up on): later samples
  // of those series must be newer.
  void Commit();

 private:
  using LabelPairs = std::vector<std::pair<std::string, std::string>>;
  // The series' labels, sorted, "__name__" included; null if unknown.
  const LabelPairs* LabelsOf(SeriesId id);

  const Storage* const storage_;
  absl::flat_hash_map<SeriesId, LabelPairs> labels_;
  absl::flat_hash_map<SeriesId, int64_t> last_sent_ms_;
  absl::flat_hash_map<SeriesId, int64_t> pending_ms_;
};

}  // namespace rollguard::collector
