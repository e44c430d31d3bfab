// A scraped page -> the agent's readings: the target's label, its series
// budget, and only what the collector would accept. No I/O.
#pragma once

#include <set>
#include <string>

#include "absl/strings/string_view.h"
#include "agent/scrape/scrape_config.h"
#include "agent/sources/reading.h"

namespace rollguard::agent {

// One scrape's readings, its own health readings included:
// scrape_up, scrape_duration_ms, scrape_samples, scrape_series_dropped,
// scrape_lines_invalid (each labelled scrape=<name>).
struct ScrapeOutcome {
  Readings readings;
  size_t samples = 0;
  size_t series_dropped = 0;
  size_t invalid = 0;
  std::string error;  // why the target is down, or the first bad line
};

// Readings are handed to the agent in groups of at most this many, each group
// one batch (one message) to the collector.
inline constexpr size_t kScrapeBatchReadings = 500;

// Turns a page into readings, admitting new series into `admitted` up to the
// target's budget. A sample is invalid (skipped, counted) if its name or
// labels would be refused by the collector (names, 32 labels, 1 KiB values,
// control characters), its labels take more than 2 KiB together, it uses a
// reserved "__" label or both host and exported_host, or its value is NaN.
ScrapeOutcome ReadingsFromPage(const ScrapeConfig& config, absl::string_view page,
                               std::set<std::string>* admitted);

}  // namespace rollguard::agent
