#include "collector/ingest/probe_downtime.h"

namespace rollguard::collector {

void ProbeDowntime::Track(absl::Span<const ProbeSeries> probes) {
  for (const ProbeSeries& p : probes) probes_.try_emplace(p.probe_up, State{p.downtime});
}

void ProbeDowntime::Derive(std::vector<StoredSample>* samples) {
  if (probes_.empty()) return;
  const size_t n = samples->size();  // derived samples are appended behind
  for (size_t i = 0; i < n; ++i) {
    const StoredSample s = (*samples)[i];
    auto it = probes_.find(s.series);
    if (it != probes_.end()) Step(&it->second, s.timestamp_ms, s.value, samples);
  }
}

void ProbeDowntime::Step(State* d, int64_t ts_ms, double up, std::vector<StoredSample>* out) const {
  if (d->initialised && ts_ms <= d->last_ts_ms) return;  // a resent old sample
  bool is_up = up > 0.5;
  if (!d->initialised) {
    d->initialised = true;
    d->down = !is_up;
    d->down_since_ms = ts_ms;
    if (!is_up) {
      // Continue an outage that began before this stream (or this collector).
      auto latest = storage_->Latest(d->downtime);
      // Its last value is 0 if the probe was up then, else the outage so far.
      if (latest.ok() && latest->has_value() && (*latest)->timestamp_ms <= ts_ms) {
        d->down_since_ms =
            (*latest)->timestamp_ms - static_cast<int64_t>((*latest)->value * 1000.0);
      }
    }
  } else if (!is_up && !d->down) {
    d->down = true;
    d->down_since_ms = d->last_ts_ms;  // last seen up
  } else if (is_up) {
    d->down = false;
  }
  d->last_ts_ms = ts_ms;
  double seconds = d->down ? static_cast<double>(ts_ms - d->down_since_ms) / 1000.0 : 0.0;
  out->push_back({d->downtime, ts_ms, seconds});
}

}  // namespace rollguard::collector
