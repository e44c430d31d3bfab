// The lifecycle states of alerts, incidents, rollouts and playbook steps.
//
// Records keep them as words (the stored protos, the admin API and `-o json`
// all show "firing", "remediating", ...); code compares these enums, so a
// misspelt state is a compile error instead of a branch that never runs.
// The accessors below are the only place the words are read or written.
#pragma once

#include "absl/strings/string_view.h"
#include "rollguard/v1/alerts.pb.h"
#include "rollguard/v1/commands.pb.h"
#include "rollguard/v1/incidents.pb.h"

namespace rollguard {

// An alert's state; kInactive is "no alert" (stored events spell it
// "inactive"). kUnknown: a word this build does not know (a damaged record).
enum class AlertState { kUnknown, kInactive, kPending, kFiring, kResolved };

enum class IncidentState {
  kUnknown,
  kProposed,     // waiting for `rollguard approve`
  kHeld,         // a guardrail stopped automatic action
  kQueued,       // waiting for a rollback slot
  kRemediating,  // the playbook runs
  kVerifying,    // the verification playbook runs
  kWatching,     // verified; waiting for the alert to resolve
  kEscalated,    // the ladder climbs
  kResolved,     // closed: it worked
  kFailed,       // closed: it did not
};

// kFailed: some host failed and every host was dispatched; kHalted: a failure
// stopped the rollout before it reached every host.
enum class RolloutState { kUnknown, kRunning, kSucceeded, kFailed, kHalted };

// One playbook step's outcome (the StepStatus message's `status`).
enum class StepOutcome { kUnknown, kRunning, kOk, kFailed, kSkipped, kPlanned };

absl::string_view Name(AlertState state);
absl::string_view Name(IncidentState state);
absl::string_view Name(RolloutState state);
absl::string_view Name(StepOutcome outcome);

// The inverse of Name; "" is kInactive for alerts, anything unknown kUnknown.
AlertState ParseAlertState(absl::string_view word);
IncidentState ParseIncidentState(absl::string_view word);
RolloutState ParseRolloutState(absl::string_view word);
StepOutcome ParseStepOutcome(absl::string_view word);

inline AlertState StateOf(const rollguard::v1::Alert& a) { return ParseAlertState(a.state()); }
inline IncidentState StateOf(const rollguard::v1::Incident& i) {
  return ParseIncidentState(i.state());
}
inline RolloutState StateOf(const rollguard::v1::Rollout& r) {
  return ParseRolloutState(r.state());
}
inline StepOutcome OutcomeOf(const rollguard::v1::StepStatus& s) {
  return ParseStepOutcome(s.status());
}

// A command in one of these states changes no more (except that the agent's
// own late answer replaces a guessed EXPIRED or LOST).
bool IsFinal(rollguard::v1::CommandState state);

void SetState(rollguard::v1::Alert* a, AlertState state);
void SetState(rollguard::v1::Incident* i, IncidentState state);
void SetState(rollguard::v1::Rollout* r, RolloutState state);
void SetOutcome(rollguard::v1::StepStatus* s, StepOutcome outcome);

}  // namespace rollguard
