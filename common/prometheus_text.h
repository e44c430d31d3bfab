// Writes the Prometheus text exposition format (version 0.0.4; the
// collector's /metrics, `rollguard export --format prometheus`): one HELP and
// TYPE line per family, then its samples, label values escaped. Families
// must be written whole, one after the other (the format requires it).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace rollguard {

class PrometheusText {
 public:
  using LabelPairs = std::vector<std::pair<std::string, std::string>>;

  // Starts a family; `type` is "counter" or "gauge".
  void Family(absl::string_view name, absl::string_view type, absl::string_view help);
  // A sample of the current family (counters: `name` ends in _total).
  void Sample(double value, const LabelPairs& labels = {});

  const std::string& text() const { return out_; }

 private:
  std::string out_;
  std::string family_;
};

// Label values: backslash, double quote and newline escaped.
std::string EscapeLabelValue(absl::string_view value);

}  // namespace rollguard
