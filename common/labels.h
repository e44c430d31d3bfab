// Label sets and metric names, shared by agent, collector and CLI.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rollguard {

// Sorted, so equal label sets compare and serialise identically.
using Labels = std::map<std::string, std::string>;

// Metric names follow Prometheus: [a-zA-Z_:][a-zA-Z0-9_:]*.
bool IsValidMetricName(absl::string_view name);
// Label names: [a-zA-Z_][a-zA-Z0-9_]*.
bool IsValidLabelName(absl::string_view name);
// NUL, other ASCII control characters or DEL: never allowed in a host id or a
// label value (a NUL could make one series' key read as another's).
bool HasControlCharacter(absl::string_view text);

// Parses "key=value" as given to --label / --selector. Errors name the text.
[[nodiscard]] absl::StatusOr<std::pair<std::string, std::string>> ParseLabelFlag(
    absl::string_view text);

// "{a=1, b=2}" for logs and tables; "" for an empty set.
std::string FormatLabels(const Labels& labels);

}  // namespace rollguard
