// The closed loop with real processes: the demo bot (Python) reporting over
// StatsD to its agent, the agent probing a fake MCP server, the collector
// with automation on. Each fault is detected, rolled back with the right
// playbook, verified and resolved with no one typing; a second fault inside
// the cool-off is held back and escalated; a failing verification climbs the
// ladder to each level's receiver until `rollguard ack`; the circuit breaker
// trips when several hosts fail at once; a drill passes and leaves the files
// as they were.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "rollguard/v1/admin_service.pb.h"
#include "tests/support/fleet.h"
#include "tests/support/http_receiver.h"

namespace rollguard::testing {
namespace {

namespace fs = std::filesystem;
using rollguard::v1::Incident;
using rollguard::v1::ListIncidentsResponse;

constexpr char kHost[] = "sportsbot-demo";

bool HasEntry(const Incident& inc, const std::string& text) {
  for (const auto& e : inc.timeline()) {
    if (e.what().find(text) != std::string::npos) return true;
  }
  return false;
}

std::string Timeline(const Incident& inc) {
  std::string out;
  for (const auto& e : inc.timeline()) absl::StrAppend(&out, "  ", e.what(), "\n");
  return out;
}

class ClosedLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bot_ = dir_.File("sportsbot");
    fs::copy(SourcePath("deploy/examples/sportsbot"), bot_, fs::copy_options::recursive);
    auto mcp = StartFakeMcp(dir_.path(), &mcp_port_);
    ASSERT_TRUE(mcp.ok()) << mcp.status();
    mcp_ = std::move(*mcp);
    // The bot's StatsD goes to this agent's port; a short window so the error
    // rate follows the fault within seconds.
    int statsd = PickFreeUdpPort();
    std::string yaml = absl::StrReplaceAll(
        ReadTextFile(bot_ + "/agent.yaml"),
        {{"127.0.0.1:8125", absl::StrCat("127.0.0.1:", statsd)},
         {"state_dir: state", absl::StrCat("state_dir: state\nprobes:\n  - {name: mcp, kind: mcp, "
                                           "url: 'http://127.0.0.1:",
                                           mcp_port_, "/mcp', interval: 300ms, timeout: 500ms}")}});
    yaml = absl::StrReplaceAll(yaml,
                               {{absl::StrCat("  listen: 127.0.0.1:", statsd),
                                 absl::StrCat("  listen: 127.0.0.1:", statsd, "\n  window: 2s")}});
    WriteTextFile(bot_ + "/agent.yaml", yaml);
    WriteTextFile(dir_.File("rules.yaml"),
                  "rules:\n"
                  "  - {name: error_rate_critical, family: error_rate, metric: error_rate, "
                  "op: '>', threshold: 50, severity: critical, for: 1s}\n"
                  "  - {name: mcp_down, family: mcp_downtime, metric: mcp_downtime, op: '>', "
                  "threshold: 2, severity: high, playbook: disable-soccer}\n");
    WriteTextFile(
        dir_.File("collector.yaml"),
        absl::StrCat("alerting:\n  rules: rules.yaml\n  receivers:\n",
                     "    - {name: l2, type: webhook, url: '", receiver_.base(), "/l2'}\n",
                     "    - {name: l3, type: webhook, url: '", receiver_.base(), "/l3'}\n",
                     "    - {name: l4, type: webhook, url: '", receiver_.base(), "/l4'}\n",
                     "automation:\n  mode: auto\n  host_cooloff: 10m\n  escalation:\n",
                     "    - {name: automated rollback, budget: 1m}\n",
                     "    - {name: developer, budget: 3s, receivers: [l2]}\n",
                     "    - {name: sysadmin, budget: 1m, receivers: [l3]}\n",
                     "    - {name: provider, budget: 1m, receivers: [l4]}\n"));
    auto c = CollectorUnderTest::Start(dir_.path(), dir_.File("data"), 0,
                                       {"--config", dir_.File("collector.yaml")});
    ASSERT_TRUE(c.ok()) << c.status();
    collector_ = std::move(*c);
    auto a = ChildProcess::Start({BinPath("rollguard-agent"), "--config", bot_ + "/agent.yaml",
                                  "--collector", collector_->address(), "--interval", "500ms"},
                                 dir_.File("agent.log"));
    ASSERT_TRUE(a.ok()) << a.status();
    agent_ = std::move(*a);
    ASSERT_TRUE(WaitUntilReporting(collector_->address(), kHost)) << agent_->Log();
    ASSERT_EQ(Cli({"rollback", "start", "--host", kHost, "--wait"}).exit_code, 0);
  }
  void TearDown() override {
    agent_->Signal(SIGTERM);
    agent_->Wait(absl::Seconds(10));
    RunCommand(
        {BinPath("rollguard-agent"), "run", "emergency-stop", "--config", bot_ + "/agent.yaml"});
  }
  CommandResult Cli(const std::vector<std::string>& args) {
    return RunCli(collector_->address(), args);
  }
  // A bad deploy: the bot restarted with a config that makes 90% of its
  // commands fail. Its backups are the last good deploy.
  void BadDeploy() {
    ASSERT_EQ(Cli({"rollback", "emergency-stop", "--host", kHost, "--wait"}).exit_code, 0);
    WriteTextFile(bot_ + "/config.py",
                  ReadTextFile(bot_ + "/config.py") + "FAULTS = {\"error_rate\": 90}\n");
    ASSERT_EQ(Cli({"rollback", "start", "--host", kHost, "--wait"}).exit_code, 0);
  }
  std::vector<Incident> Incidents() {
    ListIncidentsResponse resp;
    EXPECT_TRUE(RunCliJson(collector_->address(), {"incidents", "--all"}, &resp).ok());
    return {resp.incidents().begin(), resp.incidents().end()};
  }
  // Waits until an incident satisfies `pred`; returns it.
  std::optional<Incident> WaitIncident(const std::function<bool(const Incident&)>& pred,
                                       absl::Duration timeout = absl::Seconds(40)) {
    std::optional<Incident> found;
    WaitFor(
        [&] {
          for (const Incident& i : Incidents()) {
            if (pred(i)) found = i;
          }
          return found.has_value();
        },
        timeout);
    return found;
  }

  TempDir dir_;
  HttpReceiver receiver_;
  std::string bot_;
  int mcp_port_ = 0;
  std::unique_ptr<ChildProcess> mcp_;
  std::unique_ptr<CollectorUnderTest> collector_;
  std::unique_ptr<ChildProcess> agent_;
};

TEST_F(ClosedLoopTest, AnErrorRateFaultIsRolledBackVerifiedAndResolved) {
  absl::Time fault = absl::Now();
  BadDeploy();
  auto inc = WaitIncident([](const Incident& i) { return i.state() == "resolved"; });
  ASSERT_TRUE(inc.has_value()) << (Incidents().empty() ? "no incident" : Timeline(Incidents()[0]))
                               << agent_->Log();
  std::printf("fault to verified recovery: %.1fs\n", absl::ToDoubleSeconds(absl::Now() - fault));
  EXPECT_EQ(inc->rule(), "error_rate_critical");
  EXPECT_EQ(inc->playbook(), "full-rollback");
  EXPECT_TRUE(inc->verified());
  EXPECT_TRUE(HasEntry(*inc, "dispatched full-rollback")) << Timeline(*inc);
  EXPECT_TRUE(HasEntry(*inc, "verification passed")) << Timeline(*inc);
  EXPECT_TRUE(HasEntry(*inc, "alert resolved")) << Timeline(*inc);
  EXPECT_EQ(inc->level(), 1u);
  // The rollback put back the last good config and restarted in safe mode.
  EXPECT_EQ(ReadTextFile(bot_ + "/config.py").find("FAULTS"), std::string::npos);
  EXPECT_NE(ReadTextFile(bot_ + "/run/state.json").find("\"mode\": \"safe\""), std::string::npos);
  // No one was paged.
  EXPECT_TRUE(receiver_.Bodies("/l2").empty());
  // Replaying the stored history with the same rules finds the same decision.
  rollguard::v1::ReplayResponse replay;
  ASSERT_TRUE(RunCliJson(collector_->address(), {"replay", "--since", "10m"}, &replay).ok());
  ASSERT_GE(replay.decisions_size(), 1) << replay.DebugString();
  EXPECT_EQ(replay.decisions(0).decision(), "dispatch");
  EXPECT_EQ(replay.decisions(0).rule(), "error_rate_critical");
  EXPECT_EQ(replay.decisions(0).playbook(), "full-rollback");
  EXPECT_GT(replay.decisions(0).resolved_ms(), 0);
  // From the epoch: starts at the collector's retention and answers (it used
  // to tick a simulated clock through 56 years on a gRPC thread).
  rollguard::v1::ReplayResponse from_epoch;
  ASSERT_TRUE(
      RunCliJson(collector_->address(), {"replay", "--since", "1970-01-01"}, &from_epoch).ok());
  EXPECT_GT(from_epoch.since_ms(), 0);
  EXPECT_EQ(from_epoch.decisions_size(), replay.decisions_size());

  // The same fault again inside the cool-off: held back and escalated to L2.
  BadDeploy();
  auto held = WaitIncident([](const Incident& i) { return i.state() == "held"; });
  ASSERT_TRUE(held.has_value()) << Incidents().size() << " incident(s); last:\n"
                                << Timeline(Incidents().back()) << collector_->process().Log();
  EXPECT_NE(held->held_reason().find("host cool-off"), std::string::npos) << held->held_reason();
  EXPECT_EQ(held->level(), 2u);
  EXPECT_TRUE(held->command_ids().empty());
  ASSERT_TRUE(WaitFor([&] { return !receiver_.Bodies("/l2").empty(); }, absl::Seconds(10)));
  EXPECT_NE(receiver_.Bodies("/l2")[0].find("escalated to L2"), std::string::npos);
  // `rollguard ack` stops the climb: L3 hears nothing after L2's budget.
  CommandResult ack = Cli({"ack", held->id(), "--comment", "looking"});
  EXPECT_EQ(ack.exit_code, 0) << ack.err;
  absl::SleepFor(absl::Seconds(4));
  EXPECT_TRUE(receiver_.Bodies("/l3").empty());
  rollguard::v1::AuditRecord last;
  rollguard::v1::ListAuditResponse audit;
  ASSERT_TRUE(RunCliJson(collector_->address(), {"audit", "--host", kHost}, &audit).ok());
  bool held_logged = false;
  for (const auto& r : audit.records()) {
    held_logged |= r.outcome().find("held: host cool-off") != std::string::npos;
  }
  EXPECT_TRUE(held_logged);
}

TEST_F(ClosedLoopTest, McpDownDisablesSoccerThenResolvesWhenMcpReturns) {
  ASSERT_TRUE(HttpGet(mcp_port_, "/control?mode=down").ok());
  auto inc = WaitIncident([](const Incident& i) { return i.verified(); });
  ASSERT_TRUE(inc.has_value()) << agent_->Log();
  EXPECT_EQ(inc->rule(), "mcp_down");
  EXPECT_EQ(inc->playbook(), "disable-soccer");  // the rule's own playbook
  EXPECT_NE(ReadTextFile(bot_ + "/run/state.json").find("\"SOCCER\": {\"active\": false}"),
            std::string::npos);
  ASSERT_TRUE(HttpGet(mcp_port_, "/control?mode=healthy").ok());
  auto closed = WaitIncident([](const Incident& i) { return i.state() == "resolved"; });
  ASSERT_TRUE(closed.has_value()) << Timeline(*inc);
}

TEST_F(ClosedLoopTest, AFailingVerificationClimbsTheLadderUntilAcknowledged) {
  // CRITICAL lines in the log: the rollback's own checklist fails.
  fs::create_directories(bot_ + "/faults");
  WriteTextFile(bot_ + "/faults/critical", "");
  BadDeploy();
  auto l2 = WaitIncident([](const Incident& i) { return i.level() >= 2; });
  ASSERT_TRUE(l2.has_value());
  EXPECT_EQ(l2->state(), "escalated");
  EXPECT_TRUE(HasEntry(*l2, "full-rollback FAILED")) << Timeline(*l2);
  ASSERT_TRUE(WaitFor([&] { return !receiver_.Bodies("/l2").empty(); }, absl::Seconds(10)));
  std::string page = receiver_.Bodies("/l2")[0];
  // The evidence: the metric, the playbook's steps with output, the timeline.
  EXPECT_NE(page.find("error_rate (threshold "), std::string::npos) << page;
  EXPECT_NE(page.find("log_clean"), std::string::npos) << page;
  EXPECT_NE(page.find("Timeline"), std::string::npos) << page;
  // L2's budget (3 s) runs out: L3 is paged.
  ASSERT_TRUE(WaitFor([&] { return !receiver_.Bodies("/l3").empty(); }, absl::Seconds(10)));
  EXPECT_EQ(Cli({"ack", l2->id()}).exit_code, 0);
  absl::SleepFor(absl::Seconds(4));
  EXPECT_TRUE(receiver_.Bodies("/l4").empty());
}

TEST_F(ClosedLoopTest, ADrillPassesLeavesTheFilesAsTheyWereAndOpensNoIncident) {
  auto snapshot = [&] {
    std::map<std::string, std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(bot_)) {
      std::string rel = fs::relative(e.path(), bot_).string();
      if (!e.is_regular_file() || rel.rfind("run/", 0) == 0 || rel.rfind("logs/", 0) == 0 ||
          rel.rfind("state/", 0) == 0) {
        continue;
      }
      files[rel] = ReadTextFile(e.path());
    }
    return files;
  };
  auto before = snapshot();
  CommandResult drill = Cli({"drill", "disable-soccer", "--host", kHost});
  EXPECT_EQ(drill.exit_code, 0) << drill.out << drill.err;
  EXPECT_NE(drill.out.find("PASS disable-soccer"), std::string::npos) << drill.out;
  EXPECT_EQ(snapshot(), before);
  EXPECT_TRUE(Incidents().empty());
}

// --- several hosts at once ---

TEST(CircuitBreakerTest, SeveralHostsFailingAtOnceTripTheBreaker) {
  TempDir dir;
  // Fires on every host's first sample: a shared cause.
  WriteTextFile(dir.File("rules.yaml"),
                "rules:\n  - {name: memory_critical, family: memory_usage, metric: memory_usage, "
                "op: '>', threshold: 0, severity: critical}\n");
  WriteTextFile(dir.File("collector.yaml"),
                "alerting:\n  rules: rules.yaml\nautomation:\n  mode: auto\n"
                "  circuit_breaker: {percent: 30, min_hosts: 2, window: 10m}\n");
  auto c = CollectorUnderTest::Start(dir.path(), dir.File("data"), 0,
                                     {"--config", dir.File("collector.yaml")});
  ASSERT_TRUE(c.ok()) << c.status();
  const std::string addr = (*c)->address();
  std::vector<std::unique_ptr<ChildProcess>> agents;
  for (int i = 1; i <= 4; ++i) {
    std::string host = absl::StrCat("h", i);
    fs::create_directories(dir.File("root-" + host));
    auto a = StartAgent(dir.path(), addr, host,
                        absl::StrCat("service:\n  root: root-", host,
                                     "\n  command: [/bin/sleep, '60']\nstate_dir: state-", host,
                                     "\nplaybooks:\n  full-rollback:\n    steps:\n"
                                     "      - run: {command: [/bin/true]}\n"));
    ASSERT_TRUE(a.ok());
    agents.push_back(std::move(*a));
  }
  ListIncidentsResponse resp;
  auto proposed = [&] {
    int n = 0;
    for (const auto& i : resp.incidents()) {
      n += i.state() == "proposed" && i.held_reason().find("circuit breaker") != std::string::npos;
    }
    return n;
  };
  ASSERT_TRUE(WaitFor(
      [&] {
        resp.Clear();
        return RunCliJson(addr, {"incidents", "--all"}, &resp).ok() && resp.incidents_size() == 4 &&
               proposed() >= 2;
      },
      absl::Seconds(20)))
      << resp.DebugString();
  // At most the first host (the canary) was rolled back automatically.
  int dispatched = 0;
  for (const auto& i : resp.incidents()) dispatched += !i.command_ids().empty();
  EXPECT_LE(dispatched, 1);
  // An operator can still approve one.
  std::string id;
  for (const auto& i : resp.incidents()) {
    if (i.state() == "proposed") id = i.id();
  }
  CommandResult approve = RunCli(addr, {"approve", id});
  EXPECT_EQ(approve.exit_code, 0) << approve.err;
  EXPECT_NE(approve.out.find("approved: full-rollback dispatched"), std::string::npos)
      << approve.out;
}

}  // namespace
}  // namespace rollguard::testing
