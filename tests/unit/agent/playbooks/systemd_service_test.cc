// manager: systemd, against tests/fakes/fake_systemctl.sh (no systemd runs
// here): what the agent asks systemctl, the environment file it writes, the
// bot started with the step's arguments and stopped by the manager, never by
// the agent itself. Not run here: a real systemd (D-Bus, polkit, cgroups).
#include "agent/playbooks/systemd_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "tests/unit/agent/playbooks/runner_fixture.h"

using rollguard::testing::CountOccurrences;

namespace rollguard::agent {
namespace {

TEST(BotEnvironmentFileTest, ArgumentsAndQuotedVariables) {
  auto text = BotEnvironmentFile("bot.service", {"--safe-mode", "--level=2"},
                                 {{"MODE", "a \"quoted\" $value\\"}});
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_NE(text->find("ROLLGUARD_ARGS=\"--safe-mode --level=2\"\n"), std::string::npos) << *text;
  EXPECT_NE(text->find("MODE=\"a \\\"quoted\\\" \\$value\\\\\"\n"), std::string::npos) << *text;

  EXPECT_FALSE(BotEnvironmentFile("bot.service", {"two words"}, {}).ok());
  EXPECT_FALSE(BotEnvironmentFile("bot.service", {}, {{"BAD-NAME", "x"}}).ok());
  EXPECT_FALSE(BotEnvironmentFile("bot.service", {}, {{"X", "line\nbreak"}}).ok());
  EXPECT_FALSE(BotEnvironmentFile("bot.service", {}, {{"X", std::string("nul\0byte", 8)}}).ok());
  EXPECT_FALSE(BotEnvironmentFile("bot.service", {""}, {}).ok());
}

class SystemdServiceTest : public RunnerTest {
 protected:
  absl::StatusOr<PlaybookRunner*> MakeSystemd(const std::string& playbooks) {
    fs::create_directories(dir_.File("systemd"));
    setenv("FAKE_SYSTEMD_DIR", dir_.File("systemd").c_str(), 1);
    setenv("FAKE_UNIT_ENV_FILE", dir_.File("state/bot.service.env").c_str(), 1);
    // The "bot": records its arguments and environment, then lives on.
    WriteTextFile(dir_.File("bot.sh"),
                  "#!/bin/sh\necho \"args=$* mode=$MODE\" > \"$FAKE_SYSTEMD_DIR/bot.ran\"\n"
                  "exec sleep 60\n");
    fs::permissions(dir_.File("bot.sh"), fs::perms::owner_all);
    setenv("FAKE_UNIT_EXEC", dir_.File("bot.sh").c_str(), 1);
    return Make(playbooks, &Clock::Real(),
                "  manager: systemd\n  unit: bot\n  root: bot\n  systemctl: " +
                    rollguard::testing::SourcePath("tests/fakes/fake_systemctl.sh") + "\n");
  }
  void TearDown() override {
    // Whatever the test left running goes, through the fake manager.
    rollguard::testing::RunCommand(
        {rollguard::testing::SourcePath("tests/fakes/fake_systemctl.sh"), "stop", "bot.service"});
  }
};

TEST_F(SystemdServiceTest, StartsAndStopsTheUnitThroughSystemctlWithTheStepsArguments) {
  auto r = MakeSystemd(
      "playbooks:\n  start:\n    steps:\n"
      "      - start_service: {args: [--safe-mode], env: {MODE: degraded}}\n"
      "      - wait_healthy: {timeout: 5s}\n"
      "  stop:\n    steps:\n      - stop_service:\n");
  ASSERT_TRUE(r.ok()) << r.status();
  auto started = (*r)->Run("start", "c1", false);
  ASSERT_TRUE(started.ok());
  ASSERT_TRUE(started->ok) << started->error;
  EXPECT_EQ(ReadTextFile(dir_.File("systemd/bot.ran")), "args=--safe-mode mode=degraded\n");
  EXPECT_NE(ReadTextFile(dir_.File("state/bot.service.env")).find("ROLLGUARD_ARGS=\"--safe-mode\""),
            std::string::npos);
  const std::string pid = ReadTextFile(dir_.File("systemd/bot.service.pid"));
  ASSERT_FALSE(pid.empty());
  EXPECT_NE(started->steps[1].output.find("pid " + pid.substr(0, pid.size() - 1)),
            std::string::npos)
      << started->steps[1].output;

  // A second start is refused: the unit runs.
  auto again = (*r)->Run("start", "c2", false);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->ok);
  EXPECT_NE(again->error.find("bot.service is already running"), std::string::npos) << again->error;

  auto stopped = (*r)->Run("stop", "c3", false);
  ASSERT_TRUE(stopped.ok());
  ASSERT_TRUE(stopped->ok) << stopped->error;
  EXPECT_NE(stopped->steps[0].output.find("stopped bot.service"), std::string::npos)
      << stopped->steps[0].output;
  const std::string calls = ReadTextFile(dir_.File("systemd/calls"));
  EXPECT_NE(calls.find("--no-ask-password start bot.service\n"), std::string::npos) << calls;
  EXPECT_NE(calls.find("--no-ask-password stop bot.service\n"), std::string::npos) << calls;
  EXPECT_EQ(fs::status(dir_.File("state/bot.service.env")).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);  // may hold the bot's secrets

  // Stopping a unit that is not running still asks systemd (a pending
  // restart is cancelled) and says so.
  auto again_stopped = (*r)->Run("stop", "c4", false);
  ASSERT_TRUE(again_stopped.ok());
  ASSERT_TRUE(again_stopped->ok) << again_stopped->error;
  EXPECT_NE(again_stopped->steps[0].output.find("was not running"), std::string::npos)
      << again_stopped->steps[0].output;
  EXPECT_EQ(CountOccurrences(ReadTextFile(dir_.File("systemd/calls")), " stop bot.service"), 2);
}

TEST_F(SystemdServiceTest, ABotThatDiesAtStartFailsTheRun) {
  auto r = MakeSystemd(
      "playbooks:\n  start:\n    steps:\n      - start_service:\n"
      "      - wait_healthy: {timeout: 2s}\n");
  ASSERT_TRUE(r.ok()) << r.status();
  setenv("FAKE_UNIT_EXEC", "/bin/false", 1);
  auto started = (*r)->Run("start", "c1", false);
  ASSERT_TRUE(started.ok());
  EXPECT_FALSE(started->ok);  // at the start step (journalctl named) or at wait_healthy
  EXPECT_TRUE(started->error.find("journalctl -u bot.service") != std::string::npos ||
              started->error.find("not running") != std::string::npos)
      << started->error;
}

TEST(SystemdServiceConfigTest, WhatEachManagerNeeds) {
  rollguard::testing::TempDir dir;
  auto load = [&](const std::string& service) {
    WriteTextFile(dir.File("a.yaml"), "service:\n" + service);
    auto node = ConfigNode::LoadFile(dir.File("a.yaml"));
    PlaybookConfig pc;
    absl::Status s = node.ok() ? LoadPlaybookConfig(*node, &pc) : node.status();
    return std::make_pair(s, pc);
  };
  auto [no_unit, _1] = load("  manager: systemd\n");
  EXPECT_NE(no_unit.message().find("needs the bot's unit"), std::string::npos) << no_unit;
  auto [with_command, _2] = load("  manager: systemd\n  unit: bot\n  command: [x]\n");
  EXPECT_NE(with_command.message().find("manager: process only"), std::string::npos)
      << with_command;
  auto [glob, _4] = load("  manager: systemd\n  unit: '*'\n");
  EXPECT_NE(glob.message().find("is not a unit name"), std::string::npos) << glob;
  auto [option, _5] = load("  manager: systemd\n  unit: --all\n");
  EXPECT_NE(option.message().find("is not a unit name"), std::string::npos) << option;
  auto [unknown, _3] = load("  manager: docker\n  command: [x]\n");
  EXPECT_NE(unknown.message().find("unknown manager 'docker'"), std::string::npos) << unknown;
  auto [ok, pc] = load("  manager: systemd\n  unit: sportsbot\n");
  ASSERT_TRUE(ok.ok()) << ok;
  EXPECT_EQ(pc.service.unit, "sportsbot.service");
  EXPECT_EQ(fs::path(pc.service.env_file).filename(), "sportsbot.service.env");
}

TEST(ProcessScopeTest, ScopeOnStartsTheBotThroughSystemdRunScope) {
  ServiceConfig config;
  config.command = {"python3", "bot.py"};
  config.root = "/srv/bot";
  config.scope = ScopeMode::kOn;
  ProcessService on(config);
  std::vector<std::string> argv = on.LaunchArgv({"--safe-mode"});
  ASSERT_GE(argv.size(), 5u);
  EXPECT_EQ(argv[0], "systemd-run");
  EXPECT_EQ(argv[1], "--scope");
  EXPECT_EQ(std::vector<std::string>(argv.end() - 4, argv.end()),
            (std::vector<std::string>{"--", "python3", "bot.py", "--safe-mode"}));
  config.scope = ScopeMode::kOff;
  EXPECT_EQ(ProcessService(config).LaunchArgv({}), (std::vector<std::string>{"python3", "bot.py"}));
}

}  // namespace
}  // namespace rollguard::agent
