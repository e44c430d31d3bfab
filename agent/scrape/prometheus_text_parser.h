// The Prometheus text exposition format (0.0.4), as a bot's prometheus_client
// or a node_exporter serves it, parsed for the agent's scrape source.
// Comments (# HELP, # TYPE, others) are skipped; histogram and summary lines
// are samples like any other (_bucket{le=...}, _sum, _count). A line that
// does not parse is reported with its number and skipped: one bad line does
// not lose the rest of the page. Bytes from the network: never trusted.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/labels.h"

namespace rollguard::agent {

struct ScrapedSample {
  std::string name;
  Labels labels;
  double value = 0;
  std::optional<int64_t> timestamp_ms;
};

// Calls on_sample for each sample line and on_error(line number, why) for
// each line that is not one.
void ParsePrometheusText(absl::string_view text,
                         const std::function<void(ScrapedSample&&)>& on_sample,
                         const std::function<void(size_t line, const absl::Status&)>& on_error);

// One sample line ("name{a=\"b\"} 1.5 1712345678000"), or why not.
[[nodiscard]] absl::Status ParseSampleLine(absl::string_view line, ScrapedSample* out);

}  // namespace rollguard::agent
