// The agent's scrape source: reads Prometheus text endpoints (a bot's
// prometheus_client, a local node_exporter) every interval, each on its own
// thread, and hands what it finds to the agent as readings labelled
// scrape=<name>. Each target has a series budget: series past it are dropped
// and counted (scrape_series_dropped), never sent, so one endpoint that grows
// a label per user cannot flood the collector. Samples are stamped with the
// scrape's time (the page's own timestamps are ignored).
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/scrape/scrape_config.h"
#include "agent/scrape/scrape_readings.h"
#include "agent/sources/periodic_threads.h"
#include "agent/sources/reading.h"
#include "common/mutex.h"

namespace rollguard::agent {

// GET with the target's timeout and body bound: the body of a 200, or why not.
[[nodiscard]] absl::StatusOr<std::string> FetchPage(const ScrapeConfig& config);

class Scraper {
 public:
  using Emit = std::function<void(Readings, int64_t timestamp_ms)>;
  Scraper(std::vector<ScrapeConfig> targets, Emit emit);
  ~Scraper();  // Stop()
  void Start();
  void Stop();  // idempotent; a request in flight ends by its timeout

 private:
  void Loop(const ScrapeConfig& target);

  std::vector<ScrapeConfig> targets_;
  Emit emit_;
  PeriodicThreads threads_;
};

}  // namespace rollguard::agent
