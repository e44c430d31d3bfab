#include "common/alert_rules.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/config_node.h"
#include "common/files.h"
#include "common/status_macros.h"

namespace rollguard {
namespace {

absl::StatusOr<Rule> ParseRule(const ConfigNode& n, const Rule& defaults) {
  RETURN_IF_ERROR(n.AllowOnly({"name", "family", "metric", "op", "threshold", "severity", "for",
                               "keep_firing_for", "cooldown", "hosts", "series", "playbook"}));
  Rule r = defaults;
  for (const char* required : {"name", "metric", "op", "threshold", "severity"}) {
    if (!n.Has(required)) return n.Error(required, "is required");
  }
  ASSIGN_OR_RETURN(r.name, n.String("name"));
  if (!IsValidMetricName(r.name)) return n.Error("name", "must match [a-zA-Z_:][a-zA-Z0-9_:]*");
  ASSIGN_OR_RETURN(r.metric, n.String("metric"));
  if (!IsValidMetricName(r.metric)) return n.Error("metric", "is not a valid metric name");
  r.family = r.name;
  if (n.Has("family")) {
    ASSIGN_OR_RETURN(r.family, n.String("family"));
  }
  ASSIGN_OR_RETURN(r.op_text, n.String("op"));
  static const std::pair<const char*, Comparison> kOps[] = {
      {">", Comparison::kGt},  {">=", Comparison::kGe}, {"<", Comparison::kLt},
      {"<=", Comparison::kLe}, {"==", Comparison::kEq}, {"!=", Comparison::kNe}};
  bool found = false;
  for (const auto& [text, op] : kOps) {
    if (r.op_text == text) {
      r.op = op;
      found = true;
    }
  }
  if (!found) return n.Error("op", absl::StrCat("'", r.op_text, "' is not one of > >= < <= == !="));
  ASSIGN_OR_RETURN(std::string threshold, n.String("threshold"));
  if (!absl::SimpleAtod(threshold, &r.threshold) || !std::isfinite(r.threshold)) {
    return n.Error("threshold", absl::StrCat("'", threshold, "' is not a number"));
  }
  ASSIGN_OR_RETURN(r.severity, n.String("severity"));
  r.severity_rank = SeverityRank(r.severity);
  if (r.severity_rank < 0) {
    return n.Error("severity", absl::StrCat("'", r.severity,
                                            "' is not one of critical, high, warning, medium, "
                                            "low, info"));
  }
  if (n.Has("for")) {
    ASSIGN_OR_RETURN(r.for_duration, n.Duration("for"));
  }
  if (n.Has("keep_firing_for")) {
    ASSIGN_OR_RETURN(r.keep_firing_for, n.Duration("keep_firing_for"));
  }
  if (n.Has("cooldown")) {
    ASSIGN_OR_RETURN(r.cooldown, n.Duration("cooldown"));
  }
  if (n.Has("hosts")) {
    ASSIGN_OR_RETURN(r.hosts, n.StringMap("hosts"));
  }
  if (n.Has("series")) {
    ASSIGN_OR_RETURN(r.series, n.StringMap("series"));
    if (r.series.count("host")) return n.Error("series", "use hosts: to select hosts");
  }
  if (n.Has("playbook")) {
    ASSIGN_OR_RETURN(r.playbook, n.String("playbook"));
  }
  return r;
}

}  // namespace

absl::StatusOr<std::vector<Rule>> ParseRules(absl::string_view text, const std::string& file) {
  ASSIGN_OR_RETURN(ConfigNode root, ConfigNode::Parse(text, file));
  RETURN_IF_ERROR(root.AllowOnly({"defaults", "rules"}));
  Rule defaults;
  if (root.Has("defaults")) {
    ASSIGN_OR_RETURN(ConfigNode d, root.Child("defaults"));
    RETURN_IF_ERROR(d.AllowOnly({"cooldown", "for", "keep_firing_for"}));
    if (d.Has("cooldown")) {
      ASSIGN_OR_RETURN(defaults.cooldown, d.Duration("cooldown"));
    }
    if (d.Has("for")) {
      ASSIGN_OR_RETURN(defaults.for_duration, d.Duration("for"));
    }
    if (d.Has("keep_firing_for")) {
      ASSIGN_OR_RETURN(defaults.keep_firing_for, d.Duration("keep_firing_for"));
    }
  }
  std::vector<Rule> rules;
  if (!root.Has("rules")) return rules;
  ASSIGN_OR_RETURN(std::vector<ConfigNode> nodes, root.MapList("rules"));
  for (const ConfigNode& n : nodes) {
    ASSIGN_OR_RETURN(Rule r, ParseRule(n, defaults));
    for (const Rule& other : rules) {
      if (other.name == r.name)
        return n.Error("name", absl::StrCat("duplicate rule '", r.name, "'"));
    }
    rules.push_back(std::move(r));
  }
  return rules;
}

absl::StatusOr<std::vector<Rule>> LoadRulesFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseRules(*text, path);
}

}  // namespace rollguard
