// The closed loop. A firing alert opens an incident on its host; the decision
// matrix picks a playbook; the guardrails decide whether it runs now (auto),
// waits for an operator (confirm, or a tripped circuit breaker), waits for a
// slot (at most max_concurrent hosts at once), or is held back (cool-off);
// the playbook runs, then the host's verify playbook; the incident resolves
// when verification passed and the alert resolved. Otherwise the incident
// climbs the escalation ladder, each level with its budget and receivers,
// until someone acknowledges it. Every decision goes to the audit log and the
// incident's timeline.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "collector/alerting/rule_engine.h"
#include "collector/automation/automation_options.h"
#include "collector/commands/command_manager.h"
#include "collector/ha/leadership.h"
#include "collector/registry/host_registry.h"
#include "collector/storage/storage.h"
#include "common/mutex.h"
#include "common/record_states.h"
#include "rollguard/v1/incidents.pb.h"

namespace rollguard::collector {

// Thread-safe.
class Remediator {
 public:
  // Sends an escalation: the level's receivers (all routes when empty), a
  // title and the incident's evidence.
  using Escalate = std::function<void(const rollguard::v1::Incident&, const EscalationLevel&,
                                      const std::string& text)>;

  Remediator(AutomationOptions options, Storage* storage, CommandManager* commands,
             const HostRegistry* registry, AuditLog* audit, const Clock* clock, Escalate escalate);

  // Loads open incidents; registers for command completions.
  [[nodiscard]] absl::Status Load();
  // HA promotion: the open incidents as the store has them now (the old
  // leader's, pulled from etcd), replacing what this member held.
  [[nodiscard]] absl::Status Reload();
  // HA: a member that is not acting opens, dispatches and escalates
  // nothing (the leader does); set before use.
  void SetLeadership(const Leadership* leadership) { leadership_ = leadership; }

  // Every stored alert change (from the alerting path; must not block long).
  void OnAlertChange(const AlertChange& change);
  // Budgets, the circuit breaker's window; once a second.
  void Tick();

  [[nodiscard]] absl::StatusOr<rollguard::v1::Incident> Approve(const std::string& id,
                                                                const std::string& by);
  [[nodiscard]] absl::StatusOr<rollguard::v1::Incident> Ack(const std::string& id,
                                                            const std::string& by,
                                                            const std::string& comment);
  [[nodiscard]] absl::StatusOr<rollguard::v1::Incident> Get(const std::string& id) const;
  [[nodiscard]] absl::StatusOr<std::vector<rollguard::v1::Incident>> List(
      bool all, int64_t since_ms, const std::string& host_id) const;

  const AutomationOptions& options() const { return options_; }
  // Incidents not yet closed.
  size_t OpenCount() const;

 private:
  using Incident = rollguard::v1::Incident;
  void OnCommandFinished(const rollguard::v1::CommandRecord& record);
  void OpenLocked(const rollguard::v1::Alert& alert, const std::string& playbook)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Submits the incident's playbook (or `playbook`) to its host.
  bool DispatchLocked(Incident* incident, const std::string& playbook, const std::string& actor)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DispatchQueuedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EscalateLocked(Incident* incident, const std::string& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CloseLocked(Incident* incident, IncidentState state, const std::string& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void NoteLocked(Incident* incident, const std::string& what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SaveLocked(const Incident& incident) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AuditDecision(const Incident& incident, const std::string& outcome);
  int ActiveLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string Evidence(const Incident& incident) const;
  std::string PlaybookFor(const rollguard::v1::Alert& alert) const;

  const AutomationOptions options_;
  Storage* const storage_;
  CommandManager* const commands_;
  const HostRegistry* const registry_;
  AuditLog* const audit_;
  absl::Status LoadIncidents();
  const Clock* const clock_;
  const Leadership* leadership_ = SoleLeader::Get();
  const Escalate escalate_;

  mutable Mutex mu_;
  std::map<std::string, Incident> open_ ABSL_GUARDED_BY(mu_);             // by incident id
  std::map<std::string, int64_t> last_dispatch_ms_ ABSL_GUARDED_BY(mu_);  // by host
  std::map<std::string, int64_t> triggered_ms_ ABSL_GUARDED_BY(mu_);      // host → last trigger
  int64_t breaker_tripped_ms_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace rollguard::collector
