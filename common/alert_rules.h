// Alert rules: what to compare, how severe, how long it must hold. The rules
// file format is shared: the collector evaluates it, the CLI checks a file
// offline (`rollguard rules check FILE`) before anyone reloads it.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/labels.h"
#include "common/severity.h"

namespace rollguard {

enum class Comparison { kGt, kGe, kLt, kLe, kEq, kNe };

struct Rule {
  std::string name;
  std::string family;  // defaults to the name
  std::string metric;
  Comparison op = Comparison::kGt;
  std::string op_text = ">";
  double threshold = 0;
  std::string severity;
  int severity_rank = 0;
  absl::Duration for_duration = absl::ZeroDuration();
  absl::Duration keep_firing_for = absl::ZeroDuration();
  absl::Duration cooldown = absl::Minutes(5);
  Labels hosts;   // host labels a host must carry ("host" matches the id)
  Labels series;  // the series' extra labels, exactly; "*" matches any value
  std::string playbook;

  bool Holds(double v) const {
    switch (op) {
      case Comparison::kGt:
        return v > threshold;
      case Comparison::kGe:
        return v >= threshold;
      case Comparison::kLt:
        return v < threshold;
      case Comparison::kLe:
        return v <= threshold;
      case Comparison::kEq:
        return v == threshold;
      case Comparison::kNe:
        return v != threshold;
    }
    return false;
  }
};

// Parses a rules file (text from `file`, for messages). Errors carry file,
// line and key, e.g. "rules.yaml:12: rules[3].op: '=>' is not one of ...".
[[nodiscard]] absl::StatusOr<std::vector<Rule>> ParseRules(absl::string_view text,
                                                           const std::string& file);
[[nodiscard]] absl::StatusOr<std::vector<Rule>> LoadRulesFile(const std::string& path);

}  // namespace rollguard
