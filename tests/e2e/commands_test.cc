// Commands over the network, with real processes: a collector, agents, the
// demo bot, and the CLI as an operator runs it. A rollback from the CLI runs
// the agent's local playbook and comes back verified; a command for an agent
// that is down runs when it returns, and at most once even when the agent
// dies in the middle; undo puts the files back; fleet rollouts respect
// --max-parallel, halt on a failure and ask before touching many hosts.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/record_states.h"
#include "rollguard/v1/admin_service.pb.h"
#include "tests/support/fleet.h"

namespace rollguard::testing {
namespace {

namespace fs = std::filesystem;
using rollguard::v1::CommandRecord;
using rollguard::v1::RolloutStatus;

class DemoBotCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bot_ = dir_.File("sportsbot");
    fs::copy(SourcePath("deploy/examples/sportsbot"), bot_, fs::copy_options::recursive);
    // A slow playbook, to stop the agent in the middle of one.
    WriteTextFile(bot_ + "/agent.yaml",
                  ReadTextFile(bot_ + "/agent.yaml") +
                      "\n  slow-start:\n    steps:\n      - start_service:\n"
                      "      - run: {command: [/bin/sleep, '3'], timeout: 10s}\n");
    auto c = CollectorUnderTest::Start(dir_.path(), dir_.File("data"));
    ASSERT_TRUE(c.ok()) << c.status();
    collector_ = std::move(*c);
    StartBotAgent();
    ASSERT_TRUE(WaitUntilReporting(collector_->address(), kHost));
  }
  void TearDown() override {
    if (agent_) agent_->Signal(SIGTERM);
    RunCommand(
        {BinPath("rollguard-agent"), "run", "emergency-stop", "--config", bot_ + "/agent.yaml"});
  }
  void StartBotAgent() {
    auto a = ChildProcess::Start(
        {BinPath("rollguard-agent"), "--config", bot_ + "/agent.yaml", "--collector",
         collector_->address(), "--statsd-listen", "127.0.0.1:0", "--interval", "200ms"},
        dir_.File("agent.log"));
    ASSERT_TRUE(a.ok()) << a.status();
    agent_ = std::move(*a);
  }
  RolloutStatus Rollback(const std::string& playbook) {
    RolloutStatus status;
    absl::Status s = RunCliJson(collector_->address(),
                                {"rollback", playbook, "--host", kHost, "--wait"}, &status);
    EXPECT_TRUE(s.ok()) << s << "\n" << agent_->Log();
    return status;
  }
  CommandRecord Command(const std::string& id) {
    CommandRecord rec;
    EXPECT_TRUE(RunCliJson(collector_->address(), {"command", id}, &rec).ok());
    return rec;
  }
  std::string State() { return ReadTextFile(bot_ + "/run/state.json"); }

  static constexpr char kHost[] = "sportsbot-demo";
  TempDir dir_;
  std::string bot_;
  std::unique_ptr<CollectorUnderTest> collector_;
  std::unique_ptr<ChildProcess> agent_;
};

TEST_F(DemoBotCommandsTest, FullRollbackFromTheCliIsVerifiedAndUndoBringsTheFilesBack) {
  ASSERT_EQ(Rollback("start").rollout().state(), "succeeded");
  // A bad deploy: the bot's code changed since its backup.
  std::string bad = ReadTextFile(bot_ + "/bot_structure.py") + "# bad deploy\n";
  WriteTextFile(bot_ + "/bot_structure.py", bad);
  std::string config_before = ReadTextFile(bot_ + "/config.py");

  CommandResult rb = RunCli(collector_->address(), {"rollback", "full-rollback", "--host", kHost,
                                                    "--wait", "--reason", "error rate 12%"});
  ASSERT_EQ(rb.exit_code, 0) << rb.out << rb.err << agent_->Log();
  // Progress per host, then the steps.
  EXPECT_NE(rb.out.find("sportsbot-demo  running"), std::string::npos) << rb.out;
  EXPECT_NE(rb.out.find("succeeded: 1/1 host(s) succeeded"), std::string::npos) << rb.out;
  EXPECT_NE(rb.out.find("7/7  verify"), std::string::npos) << rb.out;
  EXPECT_NE(rb.out.find("5/5 checks passed"), std::string::npos) << rb.out;

  std::string state = State();
  EXPECT_NE(state.find("\"mode\": \"safe\""), std::string::npos) << state;
  EXPECT_NE(state.find("\"SOCCER\": {\"active\": false}"), std::string::npos) << state;
  EXPECT_NE(state.find("\"MLB\": {\"active\": true}"), std::string::npos) << state;
  EXPECT_EQ(ReadTextFile(bot_ + "/bot_structure.py"),
            ReadTextFile(bot_ + "/bot_structure.py.backup"));

  rollguard::v1::ListCommandsResponse list;
  ASSERT_TRUE(RunCliJson(collector_->address(), {"commands", "--host", kHost}, &list).ok());
  ASSERT_EQ(list.commands_size(), 2);
  const CommandRecord& cmd = list.commands(1);
  EXPECT_EQ(cmd.state(), rollguard::v1::SUCCEEDED);
  ASSERT_EQ(cmd.steps_size(), 7);
  for (const auto& s : cmd.steps()) EXPECT_EQ(s.status(), "ok") << s.name();
  EXPECT_EQ(cmd.command().reason(), "error rate 12%");

  CommandRecord undo;
  ASSERT_TRUE(
      RunCliJson(collector_->address(), {"undo", cmd.command().id(), "--wait"}, &undo).ok());
  EXPECT_EQ(undo.state(), rollguard::v1::SUCCEEDED) << undo.error();
  EXPECT_EQ(ReadTextFile(bot_ + "/bot_structure.py"), bad);
  EXPECT_EQ(ReadTextFile(bot_ + "/config.py"), config_before);

  rollguard::v1::ListAuditResponse audit;
  ASSERT_TRUE(RunCliJson(collector_->address(), {"audit", "--host", kHost}, &audit).ok());
  int succeeded = 0;
  for (const auto& r : audit.records()) succeeded += r.outcome() == "succeeded";
  EXPECT_EQ(succeeded, 3);  // start, full-rollback, undo
}

TEST_F(DemoBotCommandsTest, TheOtherScenariosRunAndVerify) {
  ASSERT_EQ(Rollback("start").rollout().state(), "succeeded");
  RolloutStatus soccer = Rollback("disable-soccer");
  EXPECT_EQ(soccer.rollout().state(), "succeeded");
  EXPECT_NE(State().find("\"SOCCER\": {\"active\": false}"), std::string::npos) << State();

  RolloutStatus load = Rollback("reduce-load");
  EXPECT_EQ(load.rollout().state(), "succeeded") << load.DebugString();
  EXPECT_NE(State().find("\"mode\": \"performance\""), std::string::npos) << State();
  EXPECT_NE(ReadTextFile(bot_ + "/config.py").find("\"requests_per_minute\": 10,"),
            std::string::npos);

  RolloutStatus degrade = Rollback("degrade-gracefully");
  EXPECT_EQ(degrade.rollout().state(), "succeeded") << degrade.DebugString();
  EXPECT_NE(State().find("\"mode\": \"validate-data\""), std::string::npos) << State();

  CommandResult verify = RunCli(collector_->address(), {"verify", "--host", kHost});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("checks passed"), std::string::npos) << verify.out;
}

TEST_F(DemoBotCommandsTest, ACommandForAnAgentThatIsDownRunsWhenItReturns) {
  agent_->Signal(SIGTERM);
  ASSERT_TRUE(agent_->Wait(absl::Seconds(10)).has_value());
  rollguard::v1::Rollout started;
  ASSERT_TRUE(
      RunCliJson(collector_->address(), {"rollback", "start", "--host", kHost}, &started).ok());
  std::string id = started.command_ids().at(kHost);
  EXPECT_EQ(Command(id).state(), rollguard::v1::QUEUED);
  EXPECT_FALSE(fs::exists(bot_ + "/run/bot.pid"));

  StartBotAgent();
  ASSERT_TRUE(
      WaitFor([&] { return Command(id).state() == rollguard::v1::SUCCEEDED; }, absl::Seconds(20)))
      << agent_->Log();
  // Restarting the agent again offers nothing more: the bot started once.
  agent_->Signal(SIGTERM);
  ASSERT_TRUE(agent_->Wait(absl::Seconds(10)).has_value());
  StartBotAgent();
  ASSERT_TRUE(WaitUntilReporting(collector_->address(), kHost));
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(CountOccurrences(ReadTextFile(bot_ + "/logs/bot.log"), "Bot starting"), 1);
  EXPECT_EQ(Command(id).deliveries(), 1u);
}

TEST_F(DemoBotCommandsTest, AnAgentKilledMidCommandDoesNotRunItTwice) {
  rollguard::v1::Rollout started;
  ASSERT_TRUE(
      RunCliJson(collector_->address(), {"rollback", "slow-start", "--host", kHost}, &started)
          .ok());
  std::string id = started.command_ids().at(kHost);
  // Kill the agent while step 2 (a 3 s sleep) runs; the bot is already up.
  ASSERT_TRUE(WaitFor(
      [&] {
        CommandRecord r = Command(id);
        return r.steps_size() >= 2 && r.steps(1).status() == "running";
      },
      absl::Seconds(15)));
  agent_->Signal(SIGKILL);
  agent_->Wait(absl::Seconds(5));
  StartBotAgent();
  // Offered again on hello; the agent knows it began it and says so.
  ASSERT_TRUE(
      WaitFor([&] { return Command(id).state() == rollguard::v1::FAILED; }, absl::Seconds(20)))
      << agent_->Log();
  CommandRecord rec = Command(id);
  EXPECT_NE(rec.error().find("not run again"), std::string::npos) << rec.error();
  EXPECT_EQ(rec.deliveries(), 2u);
  EXPECT_EQ(CountOccurrences(ReadTextFile(bot_ + "/logs/bot.log"), "Bot starting"), 1);
}

// --- fleets of simple agents ---

class FleetRolloutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = CollectorUnderTest::Start(dir_.path(), dir_.File("data"));
    ASSERT_TRUE(c.ok()) << c.status();
    collector_ = std::move(*c);
  }
  // An agent whose full-rollback sleeps a moment and records when it ran,
  // or fails when `fails`.
  void AddHost(const std::string& host, bool fails = false) {
    std::string root = dir_.File("root-" + host);
    fs::create_directories(root);
    std::string script = fails ? "exit 3" : "date +%s%N >> ran; sleep 0.4; date +%s%N >> ran";
    auto a = StartAgent(dir_.path(), collector_->address(), host,
                        absl::StrCat("labels: {tier: ", host == "h1" ? "canary" : "main",
                                     "}\nservice:\n  root: root-", host,
                                     "\n  command: [/bin/sleep, '60']\nstate_dir: state-", host,
                                     "\nplaybooks:\n  full-rollback:\n    steps:\n"
                                     "      - run: {command: [/bin/sh, -c, '",
                                     script, "'], timeout: 10s}\n"));
    ASSERT_TRUE(a.ok()) << a.status();
    agents_.push_back(std::move(*a));
    ASSERT_TRUE(WaitUntilReporting(collector_->address(), host));
  }
  // [start, end] in ns of each host's run.
  std::pair<int64_t, int64_t> Ran(const std::string& host) {
    std::string text = ReadTextFile(dir_.File("root-" + host + "/ran"));
    size_t nl = text.find('\n');
    return {std::stoll(text.substr(0, nl)), std::stoll(text.substr(nl + 1))};
  }
  TempDir dir_;
  std::unique_ptr<CollectorUnderTest> collector_;
  std::vector<std::unique_ptr<ChildProcess>> agents_;
};

TEST_F(FleetRolloutTest, MaxParallelBoundsHowManyHostsRunAtOnce) {
  for (const char* h : {"h1", "h2", "h3", "h4"}) AddHost(h);
  RolloutStatus status;
  ASSERT_TRUE(
      RunCliJson(collector_->address(),
                 {"rollback", "full-rollback", "--all", "--max-parallel", "2", "--yes", "--wait"},
                 &status)
          .ok());
  EXPECT_EQ(status.rollout().state(), "succeeded");
  ASSERT_EQ(status.commands_size(), 4);
  // At no instant were more than two hosts running.
  std::vector<std::pair<int64_t, int>> edges;
  for (const char* h : {"h1", "h2", "h3", "h4"}) {
    auto [start, end] = Ran(h);
    edges.push_back({start, +1});
    edges.push_back({end, -1});
  }
  std::sort(edges.begin(), edges.end());
  int running = 0, most = 0;
  for (const auto& [t, d] : edges) most = std::max(most, running += d);
  EXPECT_EQ(most, 2);
}

TEST_F(FleetRolloutTest, AFailedHostHaltsTheRolloutAndTheCliSaysWhy) {
  AddHost("h1", /*fails=*/true);
  AddHost("h2");
  CommandResult r = RunCli(collector_->address(), {"rollback", "full-rollback", "--host", "h1",
                                                   "--host", "h2", "--yes", "--wait"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;  // ran and failed (1: the collector refused)
  EXPECT_NE(r.out.find("halted: host h1 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pending"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir_.File("root-h2/ran")));
}

TEST_F(FleetRolloutTest, AsksBeforeTouchingManyHostsAndRefusesUnknownOnes) {
  AddHost("h1");
  AddHost("h2");
  // No terminal to ask on and no --yes: nothing starts.
  CommandResult r = RunCli(collector_->address(), {"rollback", "full-rollback", "--all"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("pass --yes"), std::string::npos) << r.err;
  rollguard::v1::ListCommandsResponse list;
  ASSERT_TRUE(RunCliJson(collector_->address(), {"commands"}, &list).ok());
  EXPECT_EQ(list.commands_size(), 0);

  CommandResult unknown =
      RunCli(collector_->address(), {"rollback", "full-rollback", "--host", "ghost"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("unknown host(s): ghost"), std::string::npos) << unknown.err;

  CommandResult no_such = RunCli(collector_->address(), {"rollback", "rm-rf", "--host", "h1"});
  EXPECT_NE(no_such.exit_code, 0);
  EXPECT_NE(no_such.err.find("has no playbook 'rm-rf'"), std::string::npos) << no_such.err;

  CommandResult canary = RunCli(
      collector_->address(), {"rollback", "full-rollback", "--selector", "tier=canary", "--wait"});
  EXPECT_EQ(canary.exit_code, 0) << canary.out << canary.err;
}

// A fleet rollout over a few hundred agents (rollguard-fleet-sim: real
// streams, the real command protocol, 7 steps a playbook): no stream drops,
// every command ends, and the rollout's counters equal its commands' states.
// (How fast is a benchmark, not this test.)
TEST_F(FleetRolloutTest, AFleetOfSimulatedAgentsRollsBackWithCountersThatMatch) {
  constexpr int kAgents = 300;
  auto sim =
      ChildProcess::Start({BinPath("rollguard-fleet-sim"), "--collector", collector_->address(),
                           "--agents", std::to_string(kAgents), "--playbook-ms", "100"},
                          dir_.File("sim.log"));
  ASSERT_TRUE(sim.ok()) << sim.status();
  ASSERT_TRUE(
      WaitFor([&] { return ReadTextFile(dir_.File("sim.log")).find("ready") != std::string::npos; },
              absl::Seconds(60)))
      << ReadTextFile(dir_.File("sim.log"));
  CommandResult r =
      RunCli(collector_->address(),
             {"rollback", "full-rollback", "--all", "--max-parallel", "100", "--yes", "--wait"},
             absl::Seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // Big rollouts are followed on one overall line, not a line per host.
  EXPECT_NE(r.out.find(absl::StrCat(kAgents, "/", kAgents, " done (", kAgents, " succeeded")),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("  sim-1 "), std::string::npos) << "per-host lines for 300 hosts";

  RolloutStatus status;
  const std::string id = r.out.substr(r.out.find("r-"), r.out.find(':') - r.out.find("r-"));
  ASSERT_TRUE(RunCliJson(collector_->address(), {"rollout", id}, &status).ok()) << id;
  EXPECT_EQ(status.rollout().state(), "succeeded");
  ASSERT_EQ(status.commands_size(), kAgents);
  uint32_t succeeded = 0;
  for (const auto& c : status.commands()) {
    EXPECT_TRUE(IsFinal(c.state())) << c.host_id();
    succeeded += c.state() == rollguard::v1::SUCCEEDED;
    EXPECT_EQ(c.deliveries(), 1u) << c.host_id() << " was sent its command twice";
  }
  EXPECT_EQ(status.rollout().succeeded(), succeeded);
  EXPECT_EQ(status.rollout().failed(), 0u);
  EXPECT_EQ(status.rollout().running(), 0u);
  EXPECT_EQ(status.rollout().host_count(), static_cast<uint32_t>(kAgents));

  // No stream dropped: every simulated agent is still connected.
  rollguard::v1::ListHostsResponse hosts;
  ASSERT_TRUE(RunCliJson(collector_->address(), {"hosts"}, &hosts).ok());
  ASSERT_EQ(hosts.hosts_size(), kAgents);
  for (const auto& h : hosts.hosts()) EXPECT_TRUE(h.connected()) << h.host_id();
  EXPECT_EQ(ReadTextFile(dir_.File("sim.log")).find("stream ended"), std::string::npos)
      << ReadTextFile(dir_.File("sim.log"));
}

}  // namespace
}  // namespace rollguard::testing
