// What one agent may put into the collector. Every bound is checked before
// anything is stored or allocated for the request, and every refusal names
// the limit, so a misbehaving (or hostile) agent costs bounded memory and an
// honest one learns what to fix.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"

namespace rollguard::collector {

struct IngestLimits {
  // Samples dated further ahead of the collector's clock are refused (one
  // would otherwise pin an alert's newest sample and outlive retention).
  absl::Duration max_future = absl::Minutes(5);
  // Samples older than this are refused (retention would delete them anyway).
  absl::Duration max_age = absl::Hours(24 * 30);
  // A stream that has not said hello within this is ended (a connection that
  // never speaks would hold a stream slot for good).
  absl::Duration hello_timeout = absl::Seconds(30);
  // Distinct series one stream (one host's connection) may define.
  size_t max_series_per_stream = 10000;
  // Distinct series stored for one host, over all its streams and restarts
  // (new series past it are refused; the host's known series keep flowing).
  size_t max_series_per_host = 10000;
  // Series the collector holds in all: past it, new series are refused (an
  // agent that reconnects again and again with new series cannot grow the
  // index and the disk without end). ~60 bytes of index and a head each.
  size_t max_series = 2'000'000;
  size_t max_labels_per_series = 32;
  size_t max_name_length = 200;          // metric and label names
  size_t max_label_value_length = 1024;  // label values and host labels
  // Agent streams open at once; more are refused with RESOURCE_EXHAUSTED.
  size_t max_streams = 20000;
  // Streams one host id may hold at once: an agent plus reconnects racing
  // their old streams' teardown. More is a misconfiguration or an attack (one
  // host could otherwise take every stream slot).
  size_t max_streams_per_host = 4;
  // Messages waiting to be written to one agent (acks, commands). An agent
  // that stops reading is cut off at this bound instead of buffered forever.
  size_t max_queued_writes = 1024;
  // Largest message the collector reads (an agent's batch is tens of KB; a
  // bigger message ends its stream with RESOURCE_EXHAUSTED).
  size_t max_message_bytes = 4 << 20;
  // Memory gRPC may take for every connection's buffers together (its
  // resource quota): past it, new reads wait instead of the process growing.
  size_t grpc_memory_bytes = size_t{1} << 30;
};

// The sample-time window a batch arriving at `now_ms` may use.
struct TimeWindow {
  int64_t min_ms = INT64_MIN;
  int64_t max_ms = INT64_MAX;
};
inline TimeWindow WindowAt(int64_t now_ms, const IngestLimits& limits) {
  return {now_ms - absl::ToInt64Milliseconds(limits.max_age),
          now_ms + absl::ToInt64Milliseconds(limits.max_future)};
}

}  // namespace rollguard::collector
