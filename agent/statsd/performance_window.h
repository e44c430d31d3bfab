// The runbook's PerformanceMonitor, kept exactly in its definitions but not in
// its memory: get_performance_summary() over the last 10 minutes, i.e.
//   avg_response_time = mean of operation durations (seconds)
//   max_response_time = the longest (seconds)
//   error_rate        = errors / max(operations, 1) * 100
//   total_operations, total_errors
// plus p50/p95/p99 of response time (the average hides the slow tail users feel)
// and per-operation breakdowns. The Python version keeps only its last 100
// records; this keeps every record of the window in one-second buckets, so a
// burst of 200,000 operations a second is summarised in bounded memory.
// Percentiles come from log-spaced bins: within 2% of the true value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "agent/sources/reading.h"

namespace rollguard::agent {

// Not thread-safe: the StatsD server serialises access.
class PerformanceWindow {
 public:
  // window_seconds: 600 for the runbook's 10 minutes.
  explicit PerformanceWindow(int window_seconds = 600, size_t max_ops = 100);

  // `weight` is 1/sample-rate: a timer sampled at @0.1 stands for 10 operations.
  void RecordResponse(absl::string_view op, double seconds, double weight, int64_t now_ms);
  void RecordError(absl::string_view op, absl::string_view type, double count, int64_t now_ms);
  void RecordChannelCreation(double seconds, double weight, int64_t now_ms);

  // Appends the summary as of `now_ms`. Nothing until the first record, like
  // the runbook's {'status': 'no_data'}.
  void Summarize(int64_t now_ms, Readings* out) const;

  // Percentile (0-100) of response time in the window, seconds; 0 without data.
  double ResponsePercentile(double pct, int64_t now_ms) const;

 private:
  struct Stats {
    int64_t second = -1;
    double ops = 0, sum = 0, max = 0, errors = 0;
    void Reset(int64_t s) { *this = Stats{s}; }
  };
  struct Window {
    std::vector<Stats> ring;
    Stats& At(int64_t second);
    Stats Total(int64_t now_second, int window) const;
  };
  struct Histogram {
    int64_t second = -1;
    absl::flat_hash_map<uint16_t, double> bins;
  };

  Window& OpWindow(absl::string_view op);
  bool InWindow(int64_t second, int64_t now_second) const;

  const int window_;
  const size_t max_ops_;
  bool has_data_ = false;
  bool has_channels_ = false;
  Window all_;
  Window channels_;
  std::vector<Histogram> hist_;
  absl::flat_hash_map<std::string, Window> ops_;
  absl::flat_hash_map<std::string, Window> error_types_;
};

}  // namespace rollguard::agent
