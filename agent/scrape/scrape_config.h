// One `scrape:` target of the agent's config (agent/scrape/scraper.h).
#pragma once

#include <cstddef>
#include <string>

#include "absl/time/time.h"

namespace rollguard::agent {

struct ScrapeConfig {
  std::string name;  // the scrape label; [a-zA-Z_][a-zA-Z0-9_]*
  std::string url;
  absl::Duration interval = absl::Seconds(15);
  absl::Duration timeout = absl::Seconds(5);
  size_t max_series = 500;
  size_t max_body_bytes = 1 << 20;
  std::string metric_prefix;  // prepended to every scraped name (e.g. "bot_")
  bool tls_verify = true;
};

}  // namespace rollguard::agent
