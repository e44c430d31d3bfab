#include "agent/scrape/scrape_readings.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "agent/scrape/prometheus_text_parser.h"
#include "common/labels.h"

namespace rollguard::agent {
namespace {

// The collector's bounds on a series (collector/ingest/ingest_limits.h).
constexpr size_t kMaxLabels = 32;
constexpr size_t kMaxNameLength = 200;
constexpr size_t kMaxLabelValue = 1024;
// A scraped series' labels together: with readings sent in groups of
// kScrapeBatchReadings, a message stays far below the collector's 4 MiB.
constexpr size_t kMaxSeriesLabelBytes = 2048;

// The agent's own labels win: a page's "host" or "scrape" label is kept as
// "exported_host" / "exported_scrape" (Prometheus' honor_labels: false).
bool Admissible(const ScrapeConfig& config, ScrapedSample* s, std::string* why) {
  s->name = config.metric_prefix + s->name;
  if (s->name.size() > kMaxNameLength || !IsValidMetricName(s->name)) {
    *why = absl::StrCat("metric name '", s->name.substr(0, 64), "' is not accepted");
    return false;
  }
  for (const char* reserved : {"host", "scrape"}) {
    auto it = s->labels.find(reserved);
    if (it == s->labels.end()) continue;
    std::string value = std::move(it->second);
    s->labels.erase(it);
    // Merging into a label the page already has would fold two series into one.
    if (!s->labels.emplace(absl::StrCat("exported_", reserved), std::move(value)).second) {
      *why = absl::StrCat(s->name, ": has both ", reserved, " and exported_", reserved);
      return false;
    }
  }
  if (s->labels.size() + 1 > kMaxLabels) {
    *why = absl::StrCat(s->name, ": more than ", kMaxLabels - 1, " labels");
    return false;
  }
  size_t label_bytes = 0;
  for (const auto& [k, v] : s->labels) {
    label_bytes += k.size() + v.size();
    // "__name__" and other "__" labels are Prometheus' own.
    if (k.size() >= 2 && k[0] == '_' && k[1] == '_') {
      *why = absl::StrCat(s->name, ": label ", k.substr(0, 64), " is reserved");
      return false;
    }
    if (k.size() > kMaxNameLength || v.size() > kMaxLabelValue || HasControlCharacter(v)) {
      *why = absl::StrCat(s->name, ": label ", k.substr(0, 64),
                          " is too long or has a control "
                          "character");
      return false;
    }
  }
  if (label_bytes > kMaxSeriesLabelBytes) {
    *why = absl::StrCat(s->name, ": labels over ", kMaxSeriesLabelBytes, " bytes");
    return false;
  }
  if (std::isnan(s->value)) {
    *why = absl::StrCat(s->name, ": NaN");
    return false;
  }
  return true;
}

std::string SeriesKeyOf(const ScrapedSample& s) {
  std::string key = s.name;
  for (const auto& [k, v] : s.labels) absl::StrAppend(&key, "\x1f", k, "=", v);
  return key;
}

}  // namespace

ScrapeOutcome ReadingsFromPage(const ScrapeConfig& config, absl::string_view page,
                               std::set<std::string>* admitted) {
  ScrapeOutcome out;
  ParsePrometheusText(
      page,
      [&](ScrapedSample&& s) {
        std::string why;
        if (!Admissible(config, &s, &why)) {
          ++out.invalid;
          if (out.error.empty()) out.error = why;
          return;
        }
        std::string key = SeriesKeyOf(s);
        if (!admitted->count(key)) {
          if (admitted->size() >= config.max_series) {
            ++out.series_dropped;
            return;
          }
          admitted->insert(std::move(key));
        }
        s.labels["scrape"] = config.name;
        out.readings.push_back({std::move(s.name), std::move(s.labels), s.value});
        ++out.samples;
      },
      [&](size_t line, const absl::Status& st) {
        ++out.invalid;
        if (out.error.empty()) out.error = absl::StrCat("line ", line, ": ", st.message());
      });
  return out;
}

}  // namespace rollguard::agent
