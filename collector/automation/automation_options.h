// How the collector acts on alerts by itself: the runbook's decision matrix
// (severity → playbook, or the rule's own playbook), the mode, the guardrails,
// and the escalation ladder.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace rollguard::collector {

enum class AutomationMode { kOff, kConfirm, kAuto };
const char* AutomationModeName(AutomationMode m);

struct EscalationLevel {
  std::string name;                    // "automated rollback", "developer", ...
  absl::Duration budget;               // time at this level before climbing
  std::vector<std::string> receivers;  // empty: the normal alert routes
};

struct AutomationOptions {
  AutomationMode mode = AutomationMode::kOff;
  // The runbook's Rollback Decision Matrix. A rule's own `playbook` wins.
  std::map<std::string, std::string> severity_playbooks = {{"critical", "full-rollback"},
                                                           {"high", "disable-soccer"},
                                                           {"medium", "reduce-load"},
                                                           {"low", "degrade-gracefully"}};
  // Run after a playbook succeeds, if the host's agent has it.
  std::string verify_playbook = "verify";
  // Hosts in an automatic rollback at once (1 = a canary); the next starts
  // only after the previous one verified and its alert resolved.
  int max_concurrent = 1;
  // No second automatic rollback of one host within this window.
  absl::Duration host_cooloff = absl::Minutes(30);
  // More than this share of the active hosts (connected, or seen within
  // host_active_within) triggering within the window (and at least
  // breaker_min_hosts) stops automatic action: likely a shared cause, not a
  // host fault. Hosts long gone do not dilute the share.
  double breaker_percent = 30;
  int breaker_min_hosts = 2;
  absl::Duration breaker_window = absl::Minutes(10);
  absl::Duration host_active_within = absl::Minutes(2);  // the alerting stale_after
  // How long a command may wait for an offline agent.
  absl::Duration command_queue_for = absl::Minutes(5);
  // The runbook's escalation ladder: L1 automated rollback (5 min), L2
  // developer (15 min), L3 sysadmin (30 min), L4 provider (60 min).
  std::vector<EscalationLevel> levels = {{"automated rollback", absl::Minutes(5), {}},
                                         {"developer", absl::Minutes(15), {}},
                                         {"sysadmin", absl::Minutes(30), {}},
                                         {"provider", absl::Minutes(60), {}}};
};

}  // namespace rollguard::collector
