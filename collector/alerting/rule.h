// The collector's side of alert rules: the shipped defaults. The rule type
// and the rules file parser are shared with the CLI (common/alert_rules.h).
#pragma once

#include <vector>

#include "absl/strings/string_view.h"
#include "common/alert_rules.h"

namespace rollguard::collector {

// The shipped defaults (deploy/config/rules.yaml, compiled in).
const std::vector<Rule>& DefaultRules();
absl::string_view DefaultRulesText();

}  // namespace rollguard::collector
