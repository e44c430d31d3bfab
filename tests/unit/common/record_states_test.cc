#include "common/record_states.h"

#include <gtest/gtest.h>

#include "common/severity.h"

namespace rollguard {
namespace {

// Every state survives the trip through its stored word, and the words are
// the ones records, the admin API and `-o json` have always shown.
template <typename E>
void ExpectRoundTrips(std::initializer_list<std::pair<E, const char*>> states,
                      E (*parse)(absl::string_view)) {
  for (const auto& [state, word] : states) {
    EXPECT_EQ(Name(state), word);
    EXPECT_EQ(parse(word), state) << word;
  }
  EXPECT_EQ(parse("no-such-state"), E::kUnknown);
}

TEST(RecordStatesTest, EveryStateRoundTripsThroughItsWord) {
  ExpectRoundTrips<AlertState>({{AlertState::kInactive, "inactive"},
                                {AlertState::kPending, "pending"},
                                {AlertState::kFiring, "firing"},
                                {AlertState::kResolved, "resolved"}},
                               ParseAlertState);
  ExpectRoundTrips<IncidentState>({{IncidentState::kProposed, "proposed"},
                                   {IncidentState::kHeld, "held"},
                                   {IncidentState::kQueued, "queued"},
                                   {IncidentState::kRemediating, "remediating"},
                                   {IncidentState::kVerifying, "verifying"},
                                   {IncidentState::kWatching, "watching"},
                                   {IncidentState::kEscalated, "escalated"},
                                   {IncidentState::kResolved, "resolved"},
                                   {IncidentState::kFailed, "failed"}},
                                  ParseIncidentState);
  ExpectRoundTrips<RolloutState>({{RolloutState::kRunning, "running"},
                                  {RolloutState::kSucceeded, "succeeded"},
                                  {RolloutState::kFailed, "failed"},
                                  {RolloutState::kHalted, "halted"}},
                                 ParseRolloutState);
  ExpectRoundTrips<StepOutcome>({{StepOutcome::kRunning, "running"},
                                 {StepOutcome::kOk, "ok"},
                                 {StepOutcome::kFailed, "failed"},
                                 {StepOutcome::kSkipped, "skipped"},
                                 {StepOutcome::kPlanned, "planned"}},
                                ParseStepOutcome);
}

TEST(RecordStatesTest, AnEmptyAlertStateIsInactive) {
  rollguard::v1::Alert a;
  EXPECT_EQ(StateOf(a), AlertState::kInactive);
  SetState(&a, AlertState::kFiring);
  EXPECT_EQ(a.state(), "firing");
  EXPECT_EQ(StateOf(a), AlertState::kFiring);
}

TEST(RecordStatesTest, SeveritiesRankInLadderOrder) {
  EXPECT_GT(SeverityRank("critical"), SeverityRank("high"));
  EXPECT_GT(SeverityRank("high"), SeverityRank("warning"));
  EXPECT_GT(SeverityRank("warning"), SeverityRank("medium"));
  EXPECT_GT(SeverityRank("medium"), SeverityRank("low"));
  EXPECT_GT(SeverityRank("low"), SeverityRank("info"));
  EXPECT_EQ(SeverityRank("info"), 0);
  EXPECT_EQ(SeverityRank("urgent"), -1);
  EXPECT_EQ(ParseSeverity("critical"), Severity::kCritical);
}

}  // namespace
}  // namespace rollguard
