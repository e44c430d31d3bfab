// The runbook's procedures on the demo bot (deploy/examples/sportsbot), run by
// a real agent process with `rollguard-agent run`, against a real Python bot:
// full rollback, undo back to the exact bytes, dry runs that change nothing,
// stop by PID, refusals.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/fleet.h"

namespace rollguard::testing {
namespace {

namespace fs = std::filesystem;

std::map<std::string, std::string> Snapshot(const std::string& root) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) files[fs::relative(e.path(), root).string()] = ReadTextFile(e.path());
  }
  return files;
}

class PlaybookLocalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bot_ = dir_.File("sportsbot");
    fs::copy(SourcePath("deploy/examples/sportsbot"), bot_, fs::copy_options::recursive);
  }
  void TearDown() override { Agent({"run", "emergency-stop"}); }
  CommandResult Agent(std::vector<std::string> args) {
    std::vector<std::string> argv = {BinPath("rollguard-agent")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--config");
    argv.push_back(bot_ + "/agent.yaml");
    return RunCommand(argv, absl::Seconds(60));
  }
  static std::string UndoId(const std::string& out) {
    size_t at = out.find("rollguard-agent undo ");
    if (at == std::string::npos) return "";
    std::string id = out.substr(at + 21);
    return id.substr(0, id.find_first_of(" \n"));
  }
  TempDir dir_;
  std::string bot_;
};

TEST_F(PlaybookLocalTest, FullRollbackThenUndoRestoresTheExactFiles) {
  CommandResult start = Agent({"run", "start"});
  ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
  ASSERT_TRUE(WaitFor([&] { return fs::exists(bot_ + "/run/state.json"); }, absl::Seconds(10)));
  EXPECT_NE(ReadTextFile(bot_ + "/run/state.json").find("\"SOCCER\": {\"active\": true}"),
            std::string::npos);
  // A bad deploy: the bot's files changed since their backups.
  WriteTextFile(bot_ + "/bot_structure.py",
                ReadTextFile(bot_ + "/bot_structure.py") + "# bad deploy\n");
  auto before = Snapshot(bot_);

  CommandResult rb = Agent({"run", "full-rollback"});
  ASSERT_EQ(rb.exit_code, 0) << rb.out << rb.err;
  EXPECT_NE(rb.out.find("[7/7] ok       verify"), std::string::npos) << rb.out;
  EXPECT_NE(rb.out.find("5/5 checks passed"), std::string::npos) << rb.out;
  std::string state = ReadTextFile(bot_ + "/run/state.json");
  EXPECT_NE(state.find("\"mode\": \"safe\""), std::string::npos) << state;
  EXPECT_NE(state.find("\"SOCCER\": {\"active\": false}"), std::string::npos) << state;
  EXPECT_NE(state.find("\"MLB\": {\"active\": true}"), std::string::npos) << state;
  EXPECT_EQ(ReadTextFile(bot_ + "/bot_structure.py"),
            ReadTextFile(bot_ + "/bot_structure.py.backup"));
  EXPECT_NE(ReadTextFile(bot_ + "/config.py").find("\"soccer_integration\": False,"),
            std::string::npos);

  std::string id = UndoId(rb.out);
  ASSERT_FALSE(id.empty()) << rb.out;
  CommandResult undo = Agent({"undo", id});
  ASSERT_EQ(undo.exit_code, 0) << undo.err;
  auto after = Snapshot(bot_);
  for (const char* f :
       {"config.py", "bot_structure.py", "config.py.backup", "bot_structure.py.backup"}) {
    EXPECT_EQ(after[f], before[f]) << f << " is not byte-identical after undo";
  }
}

TEST_F(PlaybookLocalTest, DryRunPrintsThePlanAndChangesNothing) {
  auto before = Snapshot(bot_);
  for (const char* p : {"full-rollback", "degrade-gracefully", "recover-data"}) {
    CommandResult r = Agent({"run", p, "--dry-run"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("planned"), std::string::npos) << r.out;
  }
  EXPECT_EQ(Snapshot(bot_), before);
}

TEST_F(PlaybookLocalTest, EmergencyStopIsByPidAndUnknownPlaybooksAreRefused) {
  ASSERT_EQ(Agent({"run", "start"}).exit_code, 0);
  std::string pid = ReadTextFile(bot_ + "/run/bot.pid");
  pid.erase(pid.find_last_not_of('\n') + 1);
  ASSERT_TRUE(fs::exists("/proc/" + pid));
  CommandResult stop = Agent({"run", "emergency-stop"});
  EXPECT_EQ(stop.exit_code, 0) << stop.out;
  EXPECT_NE(stop.out.find("stopped pid " + pid + " with SIGTERM"), std::string::npos) << stop.out;
  EXPECT_FALSE(fs::exists("/proc/" + pid + "/cmdline") &&
               absl::StrContains(ReadTextFile("/proc/" + pid + "/cmdline"), "bot_structure"));
  EXPECT_NE(ReadTextFile(bot_ + "/logs/bot.log").find("Bot stopping"), std::string::npos);

  CommandResult unknown = Agent({"run", "rm-rf-everything"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no playbook 'rm-rf-everything' in this agent's config"),
            std::string::npos)
      << unknown.err;
  EXPECT_EQ(unknown.out, "");
}

TEST_F(PlaybookLocalTest, VerifyFailsWhenTheBotLogsCriticalErrors) {
  ASSERT_EQ(Agent({"run", "start"}).exit_code, 0);
  fs::create_directories(bot_ + "/faults");
  WriteTextFile(bot_ + "/faults/critical", "");
  ASSERT_TRUE(
      WaitFor([&] { return absl::StrContains(ReadTextFile(bot_ + "/logs/bot.log"), "CRITICAL"); },
              absl::Seconds(10)));
  CommandResult v = Agent({"run", "verify"});
  EXPECT_EQ(v.exit_code, 1) << v.out;
  EXPECT_NE(v.out.find("FAIL log_clean: found:"), std::string::npos) << v.out;
}

}  // namespace
}  // namespace rollguard::testing
