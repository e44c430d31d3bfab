// libFuzzer target for the Prometheus text parser and the scrape source's
// sanitizing: any page must parse or be refused line by line, never crash,
// hang or read out of bounds (ASan, UBSan), and what it admits must be what
// the collector accepts. Build and run: make fuzz (needs clang).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>

#include "agent/scrape/prometheus_text_parser.h"
#include "agent/scrape/scrape_readings.h"
#include "common/labels.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view page(reinterpret_cast<const char*>(data), size);
  rollguard::agent::ScrapeConfig config;
  config.name = "fuzz";
  config.max_series = 50;
  std::set<std::string> admitted;
  auto outcome = rollguard::agent::ReadingsFromPage(config, page, &admitted);
  if (admitted.size() > config.max_series) std::abort();
  for (const auto& r : outcome.readings) {
    if (!rollguard::IsValidMetricName(r.metric) || r.labels.count("host") || r.labels.size() > 32) {
      std::abort();
    }
    for (const auto& [k, v] : r.labels) {
      if (!rollguard::IsValidLabelName(k) || rollguard::HasControlCharacter(v)) std::abort();
    }
  }
  return 0;
}
