#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "agent/commands/command_executor.h"
#include "agent/playbooks/flag_edit.h"
#include "agent/playbooks/journal.h"
#include "agent/playbooks/runner.h"
#include "agent/playbooks/safe_path.h"
#include "common/config_node.h"
#include "common/files.h"
#include "tests/support/process.h"

namespace rollguard::agent {
namespace {

namespace fs = std::filesystem;
using rollguard::testing::ReadTextFile;
using rollguard::testing::TempDir;
using rollguard::testing::WriteTextFile;

TEST(SafePathTest, StaysUnderTheRoot) {
  TempDir dir;
  fs::create_directories(dir.File("bot/cache"));
  std::string root = dir.File("bot");
  EXPECT_EQ(*ResolveUnderRoot(root, "cache/x.json"),
            fs::canonical(root).string() + "/cache/x.json");
  EXPECT_EQ(*ResolveUnderRoot(root, "./cache/../config.py"),
            fs::canonical(root).string() + "/config.py");
  auto up = ResolveUnderRoot(root, "../etc/passwd");
  EXPECT_EQ(up.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(up.status().message().find("'../etc/passwd' is outside the service root"),
            std::string::npos);
  EXPECT_FALSE(ResolveUnderRoot(root, "/etc/passwd").ok());
  EXPECT_FALSE(ResolveUnderRoot(root, "cache/../../x").ok());
  // A symlink inside the root that points out of it.
  fs::create_directory_symlink("/etc", dir.File("bot/etc_link"));
  auto via_link = ResolveUnderRoot(root, "etc_link/passwd");
  ASSERT_FALSE(via_link.ok());
  EXPECT_NE(via_link.status().message().find("through a symlink"), std::string::npos);
}

TEST(FlagEditTest, PythonDictKeyExactlyOnce) {
  std::string cfg =
      "FEATURES = {\n    \"soccer_integration\": True,\n    'h2h': True,  # heavy\n}\n";
  auto off = SetPythonDictValue(cfg, "soccer_integration", "False");
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(*off,
            "FEATURES = {\n    \"soccer_integration\": False,\n    'h2h': True,  # heavy\n}\n");
  EXPECT_EQ(*SetPythonDictValue(cfg, "h2h", "False"),
            "FEATURES = {\n    \"soccer_integration\": True,\n    'h2h': False,  # heavy\n}\n");
  auto missing = SetPythonDictValue(cfg, "betting", "False");
  EXPECT_EQ(missing.status().message(),
            "key \"betting\" found 0 times (must be exactly once); nothing changed");
  std::string twice = "A = {\"x\": 1}\nB = {\"x\": 2}\n";
  EXPECT_NE(SetPythonDictValue(twice, "x", "3").status().message().find("found 2 times"),
            std::string::npos);
  // A mention that is not a dict key does not count.
  EXPECT_TRUE(SetPythonDictValue("# \"x\" is cool\nA = {\"x\": 1}\n", "x", "2").ok());
}

TEST(FlagEditTest, ByExtension) {
  EXPECT_EQ(*SetConfigValue("c.py", "F = {\"on\": True}", "on", "false"), "F = {\"on\": False}");
  EXPECT_EQ(*SetConfigValue("c.py", "R = {\"rpm\": 60}", "rpm", "10"), "R = {\"rpm\": 10}");
  auto json = SetConfigValue("c.json", R"({"features": {"soccer": true}, "n": 1})",
                             "features.soccer", "false");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find("\"soccer\": false"), std::string::npos) << *json;
  EXPECT_FALSE(SetConfigValue("c.json", R"({"a": 1})", "b", "2").ok());
  auto yaml = SetConfigValue("c.yaml", "features:\n  soccer: true\n", "features.soccer", "false");
  ASSERT_TRUE(yaml.ok());
  EXPECT_NE(yaml->find("soccer: false"), std::string::npos) << *yaml;
  EXPECT_FALSE(SetConfigValue("c.toml", "", "a", "b").ok());
}

TEST(JournalTest, UndoRestoresByteIdenticalFilesAndRemovesNewOnes) {
  TempDir dir;
  std::string a = dir.File("a.bin"), b = dir.File("b.txt");
  std::string original("\x00\x01binary\xff\n", 10);
  WriteTextFile(a, original);
  Journal j(dir.File("state"), "cmd-1");
  ASSERT_TRUE(j.Record(a).ok());
  ASSERT_TRUE(j.Record(b).ok());  // does not exist yet
  WriteTextFile(a, "changed");
  ASSERT_TRUE(j.Record(a).ok());  // a second record keeps the first state
  WriteTextFile(a, "changed again");
  WriteTextFile(b, "new file");
  auto restored = Journal::Undo(dir.File("state"), "cmd-1");
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->size(), 2u);
  EXPECT_EQ(ReadTextFile(a), original);
  EXPECT_FALSE(fs::exists(b));
  EXPECT_EQ(Journal::Undo(dir.File("state"), "nope").status().code(), absl::StatusCode::kNotFound);
}

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.File("bot/cache"));
    WriteTextFile(dir_.File("bot/config.py"), "FEATURES = {\"soccer_integration\": True}\n");
    WriteTextFile(dir_.File("bot/config.py.backup"),
                  "FEATURES = {\"soccer_integration\": True, \"x\": 1}\n");
    WriteTextFile(dir_.File("bot/cache/soccer_1"), "a");
    WriteTextFile(dir_.File("bot/cache/mlb_1"), "b");
  }
  absl::StatusOr<PlaybookRunner*> Make(const std::string& playbooks,
                                       const Clock* clock = &Clock::Real()) {
    std::string yaml =
        "service:\n  root: bot\n  command: [/bin/sleep, '60']\nstate_dir: state\n" + playbooks;
    WriteTextFile(dir_.File("agent.yaml"), yaml);
    auto node = ConfigNode::LoadFile(dir_.File("agent.yaml"));
    if (!node.ok()) return node.status();
    PlaybookConfig pc;
    if (auto s = LoadPlaybookConfig(*node, &pc); !s.ok()) return s;
    runner_ = std::make_unique<PlaybookRunner>(pc, clock);
    return runner_.get();
  }
  TempDir dir_;
  std::unique_ptr<PlaybookRunner> runner_;
};

TEST_F(RunnerTest, TheInjectedClockTimesStepsAndNamesSnapshots) {
  FakeClock clock(absl::FromUnixSeconds(1'900'000'000));  // 2030-03-17 17:46:40 UTC
  auto r = Make("playbooks:\n  p:\n    steps:\n      - snapshot: {path: config.py}\n", &clock);
  ASSERT_TRUE(r.ok()) << r.status();
  auto result = (*r)->Run("p", "c-clock", false);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->ok) << result->steps[0].output;
  EXPECT_TRUE(fs::exists(dir_.File("bot/snapshots/config.py_20300317_174640")));
  EXPECT_EQ(result->duration_ms, 0);  // the fake clock did not move
}

TEST_F(RunnerTest, StepsRunInOrderAndAFailureSkipsTheRest) {
  auto r = Make(
      "playbooks:\n  p:\n    steps:\n"
      "      - set_flags: {file: config.py, flags: {soccer_integration: false}}\n"
      "      - remove: {globs: ['cache/soccer_*']}\n"
      "      - set_flags: {file: config.py, flags: {no_such_flag: true}}\n"
      "      - restore_backup: {path: config.py}\n");
  ASSERT_TRUE(r.ok()) << r.status();
  auto result = (*r)->Run("p", "c1", false);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->ok);
  ASSERT_EQ(result->steps.size(), 4u);
  EXPECT_EQ(result->steps[0].status, "ok");
  EXPECT_EQ(result->steps[1].status, "ok");
  EXPECT_EQ(result->steps[2].status, "failed");
  EXPECT_EQ(
      result->steps[2].output,
      "config.py: key \"no_such_flag\" found 0 times (must be exactly once); nothing changed");
  EXPECT_EQ(result->steps[3].status, "skipped");
  EXPECT_EQ(ReadTextFile(dir_.File("bot/config.py")),
            "FEATURES = {\"soccer_integration\": False}\n");
  EXPECT_FALSE(fs::exists(dir_.File("bot/cache/soccer_1")));
  EXPECT_TRUE(fs::exists(dir_.File("bot/cache/mlb_1")));
  // Undo brings back the exact bytes, removed files included.
  ASSERT_TRUE((*r)->Undo("c1").ok());
  EXPECT_EQ(ReadTextFile(dir_.File("bot/config.py")),
            "FEATURES = {\"soccer_integration\": True}\n");
  EXPECT_EQ(ReadTextFile(dir_.File("bot/cache/soccer_1")), "a");
  // The same command id never runs twice.
  EXPECT_EQ((*r)->Run("p", "c1", false).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(RunnerTest, RefusesUnknownPlaybooksAndPathEscapes) {
  auto r = Make("playbooks:\n  p:\n    steps:\n      - restore_backup: {path: ../outside.txt}\n");
  ASSERT_TRUE(r.ok()) << r.status();
  auto unknown = (*r)->Run("rm-rf", "c1", false);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().message(), "no playbook 'rm-rf' in this agent's config (has: p)");
  auto escape = (*r)->Run("p", "c2", false);
  ASSERT_TRUE(escape.ok());
  EXPECT_FALSE(escape->ok);
  EXPECT_NE(escape->error.find("is outside the service root"), std::string::npos) << escape->error;
  // A dry run refuses it too, and changes nothing.
  auto plan = (*r)->Run("p", "c3", true);
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->ok);
}

TEST_F(RunnerTest, DryRunChangesNothing) {
  auto r = Make(
      "playbooks:\n  p:\n    steps:\n"
      "      - set_flags: {file: config.py, flags: {soccer_integration: false}}\n"
      "      - remove: {globs: ['cache/*']}\n");
  ASSERT_TRUE(r.ok());
  auto plan = (*r)->Run("p", "c1", true);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->ok);
  EXPECT_EQ(plan->steps[0].status, "planned");
  EXPECT_EQ(ReadTextFile(dir_.File("bot/config.py")),
            "FEATURES = {\"soccer_integration\": True}\n");
  EXPECT_TRUE(fs::exists(dir_.File("bot/cache/soccer_1")));
  // A dry run does not use up the id.
  EXPECT_TRUE((*r)->Run("p", "c1", false).ok());
}

TEST_F(RunnerTest, RunStepTimesOutAndReportsOutput) {
  auto r = Make(
      "playbooks:\n  p:\n    steps:\n"
      "      - run: {command: [/bin/sh, -c, 'echo checking; exit 3']}\n"
      "  slow:\n    steps:\n"
      "      - run: {command: [/bin/sleep, '10'], timeout: 200ms}\n");
  ASSERT_TRUE(r.ok());
  auto fail = (*r)->Run("p", "c1", false);
  EXPECT_EQ(fail->steps[0].output, "exited with status 3: checking");
  auto slow = (*r)->Run("slow", "c2", false);
  EXPECT_NE(slow->steps[0].output.find("timed out after 200ms"), std::string::npos);
  EXPECT_LT(slow->steps[0].duration_ms, 2000);
}

TEST_F(RunnerTest, ServiceStartsAndStopsByPid) {
  auto r = Make(
      "playbooks:\n  start:\n    steps:\n      - start_service:\n      - wait_healthy: {timeout: "
      "5s}\n"
      "  stop:\n    steps:\n      - stop_service:\n");
  ASSERT_TRUE(r.ok());
  auto started = (*r)->Run("start", "c1", false);
  ASSERT_TRUE(started->ok) << started->error;
  std::string pid = ReadTextFile(dir_.File("bot/run/service.pid"));
  ASSERT_FALSE(pid.empty());
  auto stopped = (*r)->Run("stop", "c2", false);
  ASSERT_TRUE(stopped->ok) << stopped->error;
  EXPECT_NE(stopped->steps[0].output.find("stopped pid " + pid.substr(0, pid.size() - 1)),
            std::string::npos)
      << stopped->steps[0].output;
  EXPECT_FALSE(fs::exists("/proc/" + pid.substr(0, pid.size() - 1) + "/cmdline") &&
               ReadTextFile("/proc/" + pid.substr(0, pid.size() - 1) + "/cmdline").find("sleep") !=
                   std::string::npos);
}

TEST(PlaybookConfigTest, BadPlaybooksNameTheKey) {
  TempDir dir;
  struct Case {
    std::string yaml, expect;
  } cases[] = {
      {"playbooks:\n  p:\n    steps: [{stop_service: }]\n", "playbooks need a service: section"},
      {"service: {command: [x]}\nplaybooks:\n  p:\n    steps:\n      - explode: {}\n",
       "unknown step (known: stop_service"},
      {"service: {command: [x]}\nplaybooks:\n  p:\n    steps:\n      - set_flags: {file: c.py}\n",
       "set_flags needs a file and flags"},
      {"service: {command: [x]}\nplaybooks:\n  p: {}\n",
       "playbooks.p.steps: a playbook needs steps"},
      {"service: {command: [x], verify: [{check: vibes}]}\n", "service.verify[0].check: 'vibes'"},
  };
  for (const auto& tc : cases) {
    WriteTextFile(dir.File("a.yaml"), tc.yaml);
    auto node = ConfigNode::LoadFile(dir.File("a.yaml"));
    ASSERT_TRUE(node.ok()) << node.status();
    PlaybookConfig pc;
    absl::Status s = LoadPlaybookConfig(*node, &pc);
    ASSERT_FALSE(s.ok()) << tc.yaml;
    EXPECT_NE(s.message().find(tc.expect), std::string::npos) << "got: " << s.message();
  }
}

// --- commands from the collector ---

class CommandExecutorTest : public RunnerTest {
 protected:
  void Start(const std::string& playbooks) {
    ASSERT_TRUE(Make(playbooks).ok());
    executor_ = std::make_unique<CommandExecutor>(runner_.get(), [this](auto u) {
      std::lock_guard<std::mutex> lock(mu_);
      updates_.push_back(std::move(u));
    });
    executor_->Start();
  }
  void TearDown() override {
    if (executor_) executor_->Stop();
  }
  rollguard::v1::Command Cmd(const std::string& id, const std::string& playbook) {
    rollguard::v1::Command c;
    c.set_id(id);
    c.set_playbook(playbook);
    return c;
  }
  // Waits for the final update of `id` (the n-th one, counting repeats).
  std::optional<rollguard::v1::CommandUpdate> Final(const std::string& id, int nth = 1) {
    std::optional<rollguard::v1::CommandUpdate> found;
    rollguard::testing::WaitFor(
        [&] {
          std::lock_guard<std::mutex> lock(mu_);
          int seen = 0;
          for (const auto& u : updates_) {
            bool final = u.state() != rollguard::v1::RUNNING;
            if (u.command_id() == id && final && ++seen == nth) found = u;
          }
          return found.has_value();
        },
        absl::Seconds(10));
    return found;
  }
  int StartedLines(const std::string& id) {
    std::string text = ReadTextFile(dir_.File("state/executed"));
    int n = 0;
    for (size_t at = 0; (at = text.find(id + "\tstarted", at)) != std::string::npos; ++at) ++n;
    return n;
  }
  std::unique_ptr<CommandExecutor> executor_;
  std::mutex mu_;
  std::vector<rollguard::v1::CommandUpdate> updates_;
};

constexpr char kSoccerOff[] =
    "playbooks:\n  off:\n    steps:\n"
    "      - set_flags: {file: config.py, flags: {soccer_integration: false}}\n"
    "      - remove: {globs: ['cache/soccer_*']}\n";

TEST_F(CommandExecutorTest, StreamsEachStepThenTheResult) {
  Start(kSoccerOff);
  executor_->Submit(Cmd("c-1", "off"));
  auto final = Final("c-1");
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->state(), rollguard::v1::SUCCEEDED) << final->error();
  ASSERT_EQ(final->steps_size(), 2);
  EXPECT_EQ(final->steps(1).status(), "ok");
  EXPECT_EQ(final->steps(1).total(), 2);
  std::lock_guard<std::mutex> lock(mu_);
  // RUNNING first, then a start and an end per step, then the result.
  ASSERT_EQ(updates_.size(), 6u);
  EXPECT_EQ(updates_[0].state(), rollguard::v1::RUNNING);
  EXPECT_EQ(updates_[1].steps(0).status(), "running");
  EXPECT_EQ(updates_[2].steps(0).status(), "ok");
}

TEST_F(CommandExecutorTest, ARedeliveredCommandIsAnsweredFromItsRecordAndNotRunAgain) {
  Start(kSoccerOff);
  executor_->Submit(Cmd("c-2", "off"));
  ASSERT_TRUE(Final("c-2").has_value());
  // Someone turns soccer back on; a redelivery must not turn it off again.
  WriteTextFile(dir_.File("bot/config.py"), "FEATURES = {\"soccer_integration\": True}\n");
  executor_->Submit(Cmd("c-2", "off"));
  auto again = Final("c-2", 2);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->state(), rollguard::v1::SUCCEEDED);
  EXPECT_EQ(again->steps_size(), 2);
  EXPECT_EQ(ReadTextFile(dir_.File("bot/config.py")),
            "FEATURES = {\"soccer_integration\": True}\n");
  EXPECT_EQ(StartedLines("c-2"), 1);
}

TEST_F(CommandExecutorTest, ACommandInterruptedByACrashIsNotStartedTwice) {
  Start(kSoccerOff);
  fs::create_directories(dir_.File("state"));
  WriteTextFile(dir_.File("state/executed"), "c-3\tstarted\toff\n");
  executor_->Submit(Cmd("c-3", "off"));
  auto final = Final("c-3");
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->state(), rollguard::v1::FAILED);
  EXPECT_NE(final->error().find("not run again"), std::string::npos) << final->error();
  EXPECT_EQ(ReadTextFile(dir_.File("bot/config.py")),
            "FEATURES = {\"soccer_integration\": True}\n");
}

TEST_F(CommandExecutorTest, RefusesBadIdsUnknownPlaybooksAndLateCommands) {
  Start(kSoccerOff);
  executor_->Submit(Cmd("../../etc/x", "off"));
  auto bad_id = Final("../../etc/x");
  ASSERT_TRUE(bad_id.has_value());
  EXPECT_EQ(bad_id->state(), rollguard::v1::REFUSED);
  EXPECT_NE(bad_id->error().find("[A-Za-z0-9._-]"), std::string::npos);

  executor_->Submit(Cmd("c-4", "rm-everything"));
  auto unknown = Final("c-4");
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->state(), rollguard::v1::REFUSED);
  EXPECT_NE(unknown->error().find("no playbook 'rm-everything'"), std::string::npos);

  auto late = Cmd("c-5", "off");
  late.set_deadline_ms(absl::ToUnixMillis(absl::Now() - absl::Seconds(1)));
  executor_->Submit(late);
  auto expired = Final("c-5");
  ASSERT_TRUE(expired.has_value());
  EXPECT_EQ(expired->state(), rollguard::v1::REFUSED);
  EXPECT_NE(expired->error().find("deadline"), std::string::npos);
  EXPECT_EQ(ReadTextFile(dir_.File("bot/config.py")),
            "FEATURES = {\"soccer_integration\": True}\n");
}

TEST_F(CommandExecutorTest, UndoCommandPutsTheFilesBack) {
  Start(kSoccerOff);
  std::string before = ReadTextFile(dir_.File("bot/config.py"));
  executor_->Submit(Cmd("c-6", "off"));
  ASSERT_TRUE(Final("c-6").has_value());
  ASSERT_NE(ReadTextFile(dir_.File("bot/config.py")), before);
  rollguard::v1::Command undo;
  undo.set_id("c-7");
  undo.set_undo_of("c-6");
  executor_->Submit(undo);
  auto final = Final("c-7");
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->state(), rollguard::v1::SUCCEEDED) << final->error();
  EXPECT_EQ(ReadTextFile(dir_.File("bot/config.py")), before);
  EXPECT_EQ(ReadTextFile(dir_.File("bot/cache/soccer_1")), "a");
}

}  // namespace
}  // namespace rollguard::agent
