// Turns parsed StatsD lines into readings each interval. Lines the mapping
// recognises (by name, ignoring any prefix such as "sportsbot.") feed the
// runbook's performance summary; every other metric is passed through:
//   counter      -> <name>           (sum over the interval, sample rates applied)
//   gauge        -> <name>           (last value)
//   timer/h/d    -> <name>_count, <name>_avg, <name>_max   (in the unit sent)
//   set          -> <name>           (distinct members in the interval)
// with DogStatsD tags as labels.
#pragma once

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "agent/sources/reading.h"
#include "agent/statsd/performance_window.h"
#include "agent/statsd/statsd_parser.h"

namespace rollguard::agent {

struct StatsdMapping {
  std::string response_time = "response_time";             // timer, tagged op:NAME
  std::string errors = "errors";                           // counter, tagged op: and type:
  std::string channel_creation = "channel_creation_time";  // timer
  std::string op_tag = "op";
  std::string type_tag = "type";
  int window_seconds = 600;
  size_t max_passthrough_series = 1000;
};

// Not thread-safe: the server serialises access.
class StatsdAggregator {
 public:
  explicit StatsdAggregator(StatsdMapping mapping);

  void Add(const StatsdLine& line, int64_t now_ms);

  // The performance summary as of now plus the pass-through metrics of the
  // interval since the last call (which are then reset).
  void Collect(int64_t now_ms, Readings* out);

  uint64_t passthrough_overflow() const { return passthrough_overflow_; }

 private:
  struct Passthrough {
    StatsdType type;
    std::string name;
    Labels labels;
    double sum = 0, last = 0, max = 0, count = 0;
    absl::flat_hash_set<std::string> members;
  };
  void AddPassthrough(const StatsdLine& line);

  StatsdMapping mapping_;
  PerformanceWindow window_;
  absl::flat_hash_map<std::string, Passthrough> passthrough_;
  uint64_t passthrough_overflow_ = 0;
};

// "sportsbot.cmd-latency" -> "sportsbot_cmd_latency": a valid metric name.
std::string SanitizeMetricName(absl::string_view name);

}  // namespace rollguard::agent
