#include "common/record_states.h"

#include <array>
#include <string>
#include <utility>

namespace rollguard {
namespace {

// One table per enum, in enum order, so Name and Parse cannot disagree.
template <typename E, size_t N>
using Words = std::array<std::pair<E, absl::string_view>, N>;

constexpr Words<AlertState, 4> kAlertWords{{
    {AlertState::kInactive, "inactive"},
    {AlertState::kPending, "pending"},
    {AlertState::kFiring, "firing"},
    {AlertState::kResolved, "resolved"},
}};
constexpr Words<IncidentState, 9> kIncidentWords{{
    {IncidentState::kProposed, "proposed"},
    {IncidentState::kHeld, "held"},
    {IncidentState::kQueued, "queued"},
    {IncidentState::kRemediating, "remediating"},
    {IncidentState::kVerifying, "verifying"},
    {IncidentState::kWatching, "watching"},
    {IncidentState::kEscalated, "escalated"},
    {IncidentState::kResolved, "resolved"},
    {IncidentState::kFailed, "failed"},
}};
constexpr Words<RolloutState, 4> kRolloutWords{{
    {RolloutState::kRunning, "running"},
    {RolloutState::kSucceeded, "succeeded"},
    {RolloutState::kFailed, "failed"},
    {RolloutState::kHalted, "halted"},
}};
constexpr Words<StepOutcome, 5> kStepWords{{
    {StepOutcome::kRunning, "running"},
    {StepOutcome::kOk, "ok"},
    {StepOutcome::kFailed, "failed"},
    {StepOutcome::kSkipped, "skipped"},
    {StepOutcome::kPlanned, "planned"},
}};

template <typename E, size_t N>
absl::string_view NameIn(const Words<E, N>& words, E value) {
  for (const auto& [e, word] : words) {
    if (e == value) return word;
  }
  return "unknown";
}

template <typename E, size_t N>
E ParseIn(const Words<E, N>& words, absl::string_view word) {
  for (const auto& [e, w] : words) {
    if (w == word) return e;
  }
  return E::kUnknown;
}

}  // namespace

absl::string_view Name(AlertState state) { return NameIn(kAlertWords, state); }
absl::string_view Name(IncidentState state) { return NameIn(kIncidentWords, state); }
absl::string_view Name(RolloutState state) { return NameIn(kRolloutWords, state); }
absl::string_view Name(StepOutcome outcome) { return NameIn(kStepWords, outcome); }

AlertState ParseAlertState(absl::string_view word) {
  return word.empty() ? AlertState::kInactive : ParseIn(kAlertWords, word);
}
IncidentState ParseIncidentState(absl::string_view word) { return ParseIn(kIncidentWords, word); }
RolloutState ParseRolloutState(absl::string_view word) { return ParseIn(kRolloutWords, word); }
StepOutcome ParseStepOutcome(absl::string_view word) { return ParseIn(kStepWords, word); }

bool IsFinal(rollguard::v1::CommandState state) {
  return state == rollguard::v1::SUCCEEDED || state == rollguard::v1::FAILED ||
         state == rollguard::v1::REFUSED || state == rollguard::v1::EXPIRED ||
         state == rollguard::v1::LOST;
}

void SetState(rollguard::v1::Alert* a, AlertState state) { a->set_state(std::string(Name(state))); }
void SetState(rollguard::v1::Incident* i, IncidentState state) {
  i->set_state(std::string(Name(state)));
}
void SetState(rollguard::v1::Rollout* r, RolloutState state) {
  r->set_state(std::string(Name(state)));
}
void SetOutcome(rollguard::v1::StepStatus* s, StepOutcome outcome) {
  s->set_status(std::string(Name(outcome)));
}

}  // namespace rollguard
