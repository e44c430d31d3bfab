#include "collector/records_retention.h"

#include <gtest/gtest.h>

#include "collector/commands/audit_log.h"
#include "collector/commands/command_manager.h"
#include "collector/commands/rollout_manager.h"
#include "collector/storage/key_codec.h"
#include "common/record_states.h"
#include "tests/fakes/memory_storage.h"

namespace rollguard::collector {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'795'860'000);
const absl::Time kOld = kNow - absl::Hours(24 * 100);
const absl::Time kRecent = kNow - absl::Hours(24);
const int64_t kCutoff = absl::ToUnixMillis(kNow - absl::Hours(24 * 90));

class RecordsRetentionTest : public ::testing::Test {
 protected:
  size_t Count(Table t) {
    size_t n = 0;
    EXPECT_TRUE(records_
                    .Scan(t, "", "",
                          [&](absl::string_view, absl::string_view) {
                            ++n;
                            return true;
                          })
                    .ok());
    return n;
  }
  std::string Command(absl::Time at, rollguard::v1::CommandState state,
                      const std::string& rollout = "") {
    rollguard::v1::CommandRecord r;
    r.mutable_command()->set_id(NewTimeOrderedId("c", at));
    r.mutable_command()->set_rollout_id(rollout);
    r.set_host_id("bot-1");
    r.set_state(state);
    r.set_updated_ms(absl::ToUnixMillis(at));
    EXPECT_TRUE(records_.Put(Table::kCommands, r.command().id(), r.SerializeAsString()).ok());
    EXPECT_TRUE(
        records_.Put(Table::kCommandsByHost, CommandByHostKey("bot-1", r.command().id()), "").ok());
    return r.command().id();
  }
  std::string Rollout(absl::Time at, RolloutState state) {
    rollguard::v1::Rollout r;
    r.set_id(NewTimeOrderedId("r", at));
    SetState(&r, state);
    if (state != RolloutState::kRunning) r.set_finished_ms(absl::ToUnixMillis(at));
    EXPECT_TRUE(records_.Put(Table::kRollouts, r.id(), r.SerializeAsString()).ok());
    return r.id();
  }
  void Incident(absl::Time at, IncidentState state) {
    rollguard::v1::Incident i;
    i.set_id(NewTimeOrderedId("i", at));
    SetState(&i, state);
    if (state == IncidentState::kResolved) i.set_closed_ms(absl::ToUnixMillis(at));
    ASSERT_TRUE(records_.Put(Table::kIncidents, i.id(), i.SerializeAsString()).ok());
  }
  void Event(absl::Time at) {
    rollguard::v1::AlertEvent e;
    e.set_at_ms(absl::ToUnixMillis(at));
    ASSERT_TRUE(records_
                    .Put(Table::kAlertEvents, EncodeBigEndian64(e.at_ms()) + EncodeBigEndian32(1),
                         e.SerializeAsString())
                    .ok());
  }
  void Silence(const std::string& id, absl::Time ends) {
    rollguard::v1::Silence s;
    s.set_id(id);
    s.set_ends_ms(absl::ToUnixMillis(ends));
    ASSERT_TRUE(records_.Put(Table::kSilences, id, s.SerializeAsString()).ok());
  }

  rollguard::testing::MemoryRecordStore records_;
};

TEST_F(RecordsRetentionTest, DeletesWhatEndedBeforeTheCutoffAndKeepsWhatIsOpen) {
  AuditLog audit(&records_);
  for (absl::Time at : {kOld, kOld, kRecent}) {
    rollguard::v1::AuditRecord r;
    r.set_at_ms(absl::ToUnixMillis(at));
    audit.Record(r);
  }
  Event(kOld);
  Event(kRecent);
  Command(kOld, rollguard::v1::SUCCEEDED);
  Command(kOld, rollguard::v1::RUNNING);  // still open: kept whatever its age
  Command(kRecent, rollguard::v1::FAILED);
  const std::string done = Rollout(kOld, RolloutState::kSucceeded);
  const std::string going = Rollout(kOld, RolloutState::kRunning);
  for (const std::string& r : {done, going}) {
    ASSERT_TRUE(records_.Put(Table::kRolloutHosts, RolloutHostKey(r, "h1"), "c-1").ok());
    ASSERT_TRUE(records_.Put(Table::kRolloutHosts, RolloutHostKey(r, "h2"), "c-2").ok());
  }
  Incident(kOld, IncidentState::kResolved);
  Incident(kOld, IncidentState::kEscalated);
  Silence("a", kOld);
  Silence("b", kNow + absl::Hours(1));

  auto pruned = PruneRecords(records_, kCutoff);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->audit, 2u);
  EXPECT_EQ(pruned->alert_events, 1u);
  EXPECT_EQ(pruned->commands, 1u);
  EXPECT_EQ(pruned->rollouts, 1u);
  EXPECT_EQ(pruned->rollout_hosts, 2u);  // the pruned rollout's; the running one keeps its
  EXPECT_EQ(pruned->incidents, 1u);
  EXPECT_EQ(pruned->silences, 1u);
  EXPECT_EQ(Count(Table::kAudit), 1u);
  EXPECT_EQ(Count(Table::kAlertEvents), 1u);
  EXPECT_EQ(Count(Table::kCommands), 2u);
  EXPECT_EQ(Count(Table::kCommandsByHost), 2u) << "the pruned command's index entry went with it";
  EXPECT_EQ(Count(Table::kRollouts), 1u);
  EXPECT_EQ(Count(Table::kRolloutHosts), 2u);
  EXPECT_EQ(Count(Table::kIncidents), 1u);
  EXPECT_EQ(Count(Table::kSilences), 1u);

  // A second pass finds nothing more.
  auto again = PruneRecords(records_, kCutoff);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->total(), 0u);
}

// A long rollout (or an open incident) still reads its old finished commands.
TEST_F(RecordsRetentionTest, KeepsTheCommandsOfARunningRollout) {
  const std::string running = Rollout(kOld, RolloutState::kRunning);
  const std::string kept = Command(kOld, rollguard::v1::SUCCEEDED, running);
  Command(kOld, rollguard::v1::SUCCEEDED, "r-finished-long-ago");
  auto pruned = PruneRecords(records_, kCutoff);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->commands, 1u);
  size_t left = 0;
  ASSERT_TRUE(records_
                  .Scan(Table::kCommands, "", "",
                        [&](absl::string_view key, absl::string_view) {
                          EXPECT_EQ(key, kept);
                          ++left;
                          return true;
                        })
                  .ok());
  EXPECT_EQ(left, 1u);
}

// "records_retention: 36500d" on a clock younger than that: nothing is old
// enough (the cutoff before 1970 used to sort after every key).
TEST_F(RecordsRetentionTest, ACutoffBefore1970DeletesNothing) {
  AuditLog audit(&records_);
  rollguard::v1::AuditRecord r;
  r.set_at_ms(absl::ToUnixMillis(kRecent));
  audit.Record(r);
  auto pruned = PruneRecords(records_, -1'000'000);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned->total(), 0u);
  EXPECT_EQ(Count(Table::kAudit), 1u);
}

TEST_F(RecordsRetentionTest, OnePassDeletesAtMostItsBudget) {
  AuditLog audit(&records_);
  for (int i = 0; i < 10; ++i) {
    rollguard::v1::AuditRecord r;
    r.set_at_ms(absl::ToUnixMillis(kOld) + i);
    audit.Record(r);
  }
  auto first = PruneRecords(records_, kCutoff, 4);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->total(), 4u);
  EXPECT_EQ(Count(Table::kAudit), 6u);
  auto rest = PruneRecords(records_, kCutoff);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(Count(Table::kAudit), 0u);
}

TEST_F(RecordsRetentionTest, ARecordThatDoesNotParseIsLeftForTheDamageReport) {
  ASSERT_TRUE(records_.Put(Table::kCommands, NewTimeOrderedId("c", kOld), "\xff\xff garbage").ok());
  auto pruned = PruneRecords(records_, kCutoff);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned->commands, 0u);
  EXPECT_EQ(Count(Table::kCommands), 1u);
}

}  // namespace
}  // namespace rollguard::collector
