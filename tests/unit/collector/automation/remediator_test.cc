// The closed loop's decisions on a simulated clock: the decision matrix, the
// canary (one host at a time, the next after the first verified), the host
// cool-off, the escalation ladder's budgets, ack, confirm mode and approve.
#include "collector/automation/remediator.h"

#include <gtest/gtest.h>

#include "tests/fakes/memory_storage.h"
#include "tests/fakes/recording_agent_link.h"
#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

using Link = rollguard::testing::RecordingAgentLink;

AlertChange Change(const std::string& host, const std::string& from, const std::string& to,
                   const std::string& severity = "critical") {
  AlertChange c;
  c.alert.set_id(host + "/error_rate_critical");
  c.alert.set_host_id(host);
  c.alert.set_rule("error_rate_critical");
  c.alert.set_severity(severity);
  c.alert.set_metric("error_rate");
  c.alert.set_summary("error_rate is 90 (> 50)");
  c.from_state = ParseAlertState(from);
  c.to_state = ParseAlertState(to);
  return c;
}

class RemediatorTest : public ::testing::Test {
 protected:
  void Make(AutomationMode mode, double breaker_percent = 100 /* off: tested end to end */) {
    storage_ = std::make_unique<rollguard::testing::MemoryStorage>();
    registry_ = std::make_unique<HostRegistry>(storage_.get(), &clock_);
    audit_ = std::make_unique<AuditLog>(&storage_->records());
    commands_ = std::make_unique<CommandManager>(&storage_->records(), audit_.get(), &clock_);
    AutomationOptions o;
    o.mode = mode;
    o.breaker_percent = breaker_percent;
    remediator_ = std::make_unique<Remediator>(
        o, storage_.get(), commands_.get(), registry_.get(), audit_.get(), &clock_,
        [this](const rollguard::v1::Incident& i, const EscalationLevel& l, const std::string&) {
          pages_.push_back(absl::StrCat("L", i.level(), " ", l.name, " ", i.host_id()));
        });
    ASSERT_TRUE(remediator_->Load().ok());
    for (const char* h : {"a", "b"}) {
      rollguard::v1::Hello hello;
      hello.set_host_id(h);
      ASSERT_TRUE(registry_->OnConnect(hello).ok());
      commands_->OnAgentConnected(h, {"full-rollback", "disable-soccer"}, &links_[h]);
    }
  }
  void Succeed(const std::string& host) {
    rollguard::v1::CommandUpdate u;
    u.set_command_id(links_[host].sent.back().id());
    u.set_state(rollguard::v1::SUCCEEDED);
    commands_->OnUpdate(host, u);
  }
  rollguard::v1::Incident Only(const std::string& host) {
    auto list = *remediator_->List(true, 0, host);
    EXPECT_FALSE(list.empty());
    return list.empty() ? rollguard::v1::Incident() : list.back();
  }

  FakeClock clock_{absl::FromUnixMillis(1'800'000'000'000)};
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<HostRegistry> registry_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<CommandManager> commands_;
  std::unique_ptr<Remediator> remediator_;
  std::map<std::string, Link> links_;
  std::vector<std::string> pages_;
};

TEST_F(RemediatorTest, TheMatrixPicksThePlaybookAndTheCanaryGoesFirst) {
  Make(AutomationMode::kAuto);
  remediator_->OnAlertChange(Change("a", "pending", "firing"));
  remediator_->OnAlertChange(Change("b", "pending", "firing", "high"));
  ASSERT_EQ(links_["a"].sent.size(), 1u);
  EXPECT_EQ(links_["a"].sent[0].playbook(), "full-rollback");
  EXPECT_EQ(links_["a"].sent[0].requested_by(), "rule:error_rate_critical");
  EXPECT_TRUE(links_["b"].sent.empty());
  EXPECT_EQ(Only("b").state(), "queued");
  // The canary verified (no verify playbook here: its own checks count).
  Succeed("a");
  EXPECT_EQ(Only("a").state(), "watching");
  ASSERT_EQ(links_["b"].sent.size(), 1u);
  EXPECT_EQ(links_["b"].sent[0].playbook(), "disable-soccer");
  remediator_->OnAlertChange(Change("a", "firing", "resolved"));
  EXPECT_EQ(Only("a").state(), "resolved");
  EXPECT_TRUE(pages_.empty());
}

// Listing since a time reads from that time on (incident ids sort by
// opening time) and still shows incidents opened before it that are open.
TEST_F(RemediatorTest, ListSinceShowsRecentOnesAndOlderOpenOnes) {
  Make(AutomationMode::kAuto);
  remediator_->OnAlertChange(Change("a", "pending", "firing"));  // stays open
  clock_.Advance(absl::Hours(2));
  const int64_t since = clock_.NowMs();
  clock_.Advance(absl::Minutes(1));
  remediator_->OnAlertChange(Change("b", "pending", "firing", "high"));
  auto listed = remediator_->List(true, since, "");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].host_id(), "a");  // older, open
  EXPECT_EQ((*listed)[1].host_id(), "b");
  EXPECT_EQ(remediator_->List(true, since, "b")->size(), 1u);
}

TEST_F(RemediatorTest, ASecondFaultInsideTheCoolOffIsHeldAndEscalated) {
  Make(AutomationMode::kAuto);
  remediator_->OnAlertChange(Change("a", "pending", "firing"));
  Succeed("a");
  remediator_->OnAlertChange(Change("a", "firing", "resolved"));
  clock_.Advance(absl::Minutes(10));
  remediator_->OnAlertChange(Change("a", "pending", "firing"));
  EXPECT_EQ(links_["a"].sent.size(), 1u);
  auto held = Only("a");
  EXPECT_EQ(held.state(), "held");
  EXPECT_NE(held.held_reason().find("host cool-off"), std::string::npos);
  EXPECT_EQ(held.level(), 2u);
  ASSERT_EQ(pages_.size(), 1u);
  EXPECT_EQ(pages_[0], "L2 developer a");
  // After the cool-off the same fault is acted on again.
  remediator_->OnAlertChange(Change("a", "firing", "resolved"));
  clock_.Advance(absl::Minutes(31));
  remediator_->OnAlertChange(Change("a", "pending", "firing"));
  EXPECT_EQ(links_["a"].sent.size(), 2u);
}

TEST_F(RemediatorTest, BudgetsClimbTheLadderUntilAcknowledged) {
  Make(AutomationMode::kConfirm);
  remediator_->OnAlertChange(Change("a", "pending", "firing"));
  auto inc = Only("a");
  EXPECT_EQ(inc.state(), "proposed");
  EXPECT_TRUE(links_["a"].sent.empty());
  clock_.Advance(absl::Minutes(4));
  remediator_->Tick();
  EXPECT_TRUE(pages_.empty());
  clock_.Advance(absl::Minutes(2));  // L1's 5 minutes are over
  remediator_->Tick();
  clock_.Advance(absl::Minutes(16));  // and L2's 15
  remediator_->Tick();
  EXPECT_EQ(pages_, (std::vector<std::string>{"L2 developer a", "L3 sysadmin a"}));
  ASSERT_TRUE(remediator_->Ack(inc.id(), "alice", "on it").ok());
  clock_.Advance(absl::Hours(2));
  remediator_->Tick();
  EXPECT_EQ(pages_.size(), 2u);
  // Approving still dispatches it.
  auto approved = remediator_->Approve(inc.id(), "alice");
  ASSERT_TRUE(approved.ok()) << approved.status();
  ASSERT_EQ(links_["a"].sent.size(), 1u);
  EXPECT_EQ(links_["a"].sent[0].requested_by(), "alice");
}

TEST_F(RemediatorTest, ModeOffOpensNothingButSaysSoInTheAudit) {
  Make(AutomationMode::kOff);
  remediator_->OnAlertChange(Change("a", "pending", "firing"));
  EXPECT_TRUE(remediator_->List(true, 0, "")->empty());
  auto audit = *audit_->List(0, "a", 0);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].outcome(), "held back: automation is off");
}

// Hosts long decommissioned stay in the registry; they must not dilute the
// breaker's share: 2 of the 2 hosts really there triggering is everyone.
TEST_F(RemediatorTest, TheBreakerCountsOnlyHostsThatAreThere) {
  Make(AutomationMode::kAuto, /*breaker_percent=*/30);
  for (int i = 0; i < 10; ++i) {
    rollguard::v1::Hello hello;
    hello.set_host_id("old-" + std::to_string(i));
    ASSERT_TRUE(registry_->OnConnect(hello).ok());
    registry_->OnDisconnect(hello.host_id());
  }
  clock_.Advance(absl::Hours(24));  // the old hosts were last seen a day ago
  remediator_->OnAlertChange(Change("a", "pending", "firing"));
  remediator_->OnAlertChange(Change("b", "pending", "firing"));
  EXPECT_EQ(Only("b").state(), "proposed");
  EXPECT_NE(Only("b").held_reason().find("circuit breaker: 2 of 2 hosts"), std::string::npos)
      << Only("b").held_reason();
}

}  // namespace
}  // namespace rollguard::collector
