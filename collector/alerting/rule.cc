#include "collector/alerting/rule.h"

#include <cstdlib>

namespace rollguard::collector {

const std::vector<Rule>& DefaultRules() {
  static const std::vector<Rule>* rules = [] {
    auto parsed = ParseRules(DefaultRulesText(), "deploy/config/rules.yaml (built in)");
    // The shipped file is tested; a broken one must not start silently.
    if (!parsed.ok()) std::abort();
    return new std::vector<Rule>(std::move(*parsed));
  }();
  return *rules;
}

}  // namespace rollguard::collector
