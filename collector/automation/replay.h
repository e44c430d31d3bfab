// Replay: the current rules, decision matrix and guardrails run over stored
// history, as if automation had been on (mode auto) — so an operator can
// switch `auto` on knowing what it would have done. It drives the real rule
// engine and the real remediator on a simulated clock, with a scratch RocksDB
// folder for their records; no host is touched and nothing is written to the
// collector's own data.
//
// Bounded: the range starts no earlier than retention, the simulated clock
// ticks only from the first sample on (a range of empty years costs nothing),
// at most max_samples are read, and `cancelled` is polled throughout.
//
// Assumption, stated in the answer: a dispatched rollback succeeds and holds
// its slot until its alert resolves (the replay cannot know how a rollback
// that never ran would have gone).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "collector/alerting/rule.h"
#include "collector/alerting/rule_engine.h"
#include "collector/automation/automation_options.h"
#include "collector/registry/host_registry.h"
#include "collector/storage/storage.h"
#include "rollguard/v1/admin_service.pb.h"

namespace rollguard::collector {

struct ReplayInput {
  std::vector<Rule> rules;
  EngineOptions engine;
  AutomationOptions automation;
  int64_t since_ms = 0;
  int64_t until_ms = 0;
  std::string host_id;  // empty: every host
  // Nothing older is stored (now - retention): an earlier since_ms starts here.
  int64_t oldest_ms = 0;
  // Most samples one replay may read (bounds its memory: ~24 bytes each).
  size_t max_samples = 5'000'000;
  // Polled while reading and replaying; true ends the replay with CANCELLED
  // (the client went away, its deadline passed, or the server is stopping).
  std::function<bool()> cancelled = [] { return false; };
};

[[nodiscard]] absl::StatusOr<rollguard::v1::ReplayResponse> Replay(const Storage& history,
                                                                   const HostRegistry& registry,
                                                                   const ReplayInput& input);

}  // namespace rollguard::collector
