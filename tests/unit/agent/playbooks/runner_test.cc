#include "agent/playbooks/runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "agent/playbooks/journal.h"
#include "common/files.h"
#include "tests/unit/agent/playbooks/runner_fixture.h"

namespace rollguard::agent {
namespace {

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

// Every format set_flags edits: only the named value's bytes change, and
// undo puts back the file byte for byte (#19).
TEST_F(RunnerTest, SetFlagsInEveryFormatChangesOneValueAndUndoRestoresTheBytes) {
  const std::map<std::string, std::pair<std::string, std::string>> files = {
      {"settings.json",
       {"{\"guild_id\": 1234567890123456789, \"features\": {\"soccer\": true}}\n",
        "{\"guild_id\": 1234567890123456789, \"features\": {\"soccer\": false}}\n"}},
      {"settings.yaml",
       {"# bot\nfeatures:\n  soccer: true   # MCP\nguild_id: 1234567890123456789\n",
        "# bot\nfeatures:\n  soccer: false   # MCP\nguild_id: 1234567890123456789\n"}},
      {"settings.toml",
       {"guild_id = 1234567890123456789\n[features]\nsoccer = true # MCP\n",
        "guild_id = 1234567890123456789\n[features]\nsoccer = false # MCP\n"}},
      {".env",
       {"# secrets elsewhere\nexport SOCCER_ENABLED=True\nMODE=\"full\"\n",
        "# secrets elsewhere\nexport SOCCER_ENABLED=False\nMODE=\"full\"\n"}},
  };
  std::string steps;
  for (const auto& [name, texts] : files) {
    WriteTextFile(dir_.File("bot/" + name), texts.first);
    const char* key = name == ".env" ? "SOCCER_ENABLED" : "features.soccer";
    absl::StrAppend(&steps, "      - set_flags: {file: ", name, ", flags: {", key, ": false}}\n");
  }
  auto r = Make("playbooks:\n  p:\n    steps:\n" + steps);
  ASSERT_TRUE(r.ok()) << r.status();
  auto result = (*r)->Run("p", "c-formats", false);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->ok) << result->steps.back().output;
  for (const auto& [name, texts] : files) {
    EXPECT_EQ(ReadTextFile(dir_.File("bot/" + name)), texts.second) << name;
  }
  ASSERT_TRUE((*r)->Undo("c-formats").ok());
  for (const auto& [name, texts] : files) {
    EXPECT_EQ(ReadTextFile(dir_.File("bot/" + name)), texts.first) << name;
  }
}

TEST_F(RunnerTest, SetFlagsChangesATypeOnlyWhenTheStepNamesOne) {
  WriteTextFile(dir_.File("bot/limits.toml"), "timeout = 30\n");
  auto r = Make(
      "playbooks:\n"
      "  keep:\n    steps:\n"
      "      - set_flags: {file: limits.toml, values: {timeout: off}}\n"
      "  change:\n    steps:\n"
      "      - set_flags: {file: limits.toml, values: {timeout: off}, type: string}\n");
  ASSERT_TRUE(r.ok()) << r.status();
  auto refused = (*r)->Run("keep", "c-keep", false);
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->ok);
  EXPECT_EQ(refused->steps[0].output,
            "limits.toml: key \"timeout\" holds an int; 'off' is not a whole number; nothing "
            "changed");
  EXPECT_EQ(ReadTextFile(dir_.File("bot/limits.toml")), "timeout = 30\n");
  auto changed = (*r)->Run("change", "c-change", false);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(changed->ok) << changed->steps[0].output;
  EXPECT_EQ(ReadTextFile(dir_.File("bot/limits.toml")), "timeout = \"off\"\n");
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
  EXPECT_EQ(result->steps[0].status, StepOutcome::kOk);
  EXPECT_EQ(result->steps[1].status, StepOutcome::kOk);
  EXPECT_EQ(result->steps[2].status, StepOutcome::kFailed);
  EXPECT_EQ(
      result->steps[2].output,
      "config.py: key \"no_such_flag\" found 0 times (must be exactly once); nothing changed");
  EXPECT_EQ(result->steps[3].status, StepOutcome::kSkipped);
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

// A cache link to live data: `remove` takes the link, never what it points
// to, and undo puts the link back.
TEST_F(RunnerTest, RemoveNeverFollowsASymlink) {
  fs::create_directories(dir_.File("bot/data"));
  WriteTextFile(dir_.File("bot/data/guilds.db"), "keep me");
  fs::create_directory_symlink("../data", dir_.File("bot/cache/latest"));
  fs::create_symlink("/etc/hostname", dir_.File("bot/cache/outside"));
  auto r = Make(
      "playbooks:\n  p:\n    steps:\n"
      "      - remove: {globs: ['cache/latest', 'cache/outside']}\n");
  ASSERT_TRUE(r.ok()) << r.status();
  auto result = (*r)->Run("p", "c1", false);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->ok) << result->steps[0].output;
  EXPECT_EQ(ReadTextFile(dir_.File("bot/data/guilds.db")), "keep me");
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir_.File("bot/cache/latest"))));
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir_.File("bot/cache/outside"))));
  ASSERT_TRUE((*r)->Undo("c1").ok());
  EXPECT_TRUE(fs::is_symlink(dir_.File("bot/cache/latest")));
  EXPECT_EQ(fs::read_symlink(dir_.File("bot/cache/latest")), "../data");
  EXPECT_EQ(fs::read_symlink(dir_.File("bot/cache/outside")), "/etc/hostname");
}

// A folder holding a link to live data: the folder goes, the data stays.
TEST_F(RunnerTest, RemovingAFolderRemovesLinksInItNotTheirTargets) {
  fs::create_directories(dir_.File("bot/data"));
  WriteTextFile(dir_.File("bot/data/guilds.db"), "keep me");
  fs::create_directory_symlink("../data", dir_.File("bot/cache/latest"));
  auto r = Make("playbooks:\n  p:\n    steps:\n      - remove: {globs: ['cache']}\n");
  ASSERT_TRUE(r.ok()) << r.status();
  auto result = (*r)->Run("p", "c1", false);
  ASSERT_TRUE(result.ok() && result->ok);
  EXPECT_FALSE(fs::exists(dir_.File("bot/cache")));
  EXPECT_EQ(ReadTextFile(dir_.File("bot/data/guilds.db")), "keep me");
  ASSERT_TRUE((*r)->Undo("c1").ok());
  EXPECT_EQ(ReadTextFile(dir_.File("bot/cache/mlb_1")), "b");
  EXPECT_EQ(fs::read_symlink(dir_.File("bot/cache/latest")), "../data");
}

// Undo of a removed folder puts back the whole tree, empty folders too (a
// bot may expect `cache/empty/` to exist; they used to be lost).
TEST_F(RunnerTest, UndoOfARemovedFolderRestoresItsEmptyFolders) {
  fs::create_directories(dir_.File("bot/cache/empty/deeper"));
  auto r = Make("playbooks:\n  p:\n    steps:\n      - remove: {globs: ['cache']}\n");
  ASSERT_TRUE(r.ok()) << r.status();
  auto result = (*r)->Run("p", "c1", false);
  ASSERT_TRUE(result.ok() && result->ok);
  EXPECT_FALSE(fs::exists(dir_.File("bot/cache")));
  ASSERT_TRUE((*r)->Undo("c1").ok());
  EXPECT_EQ(ReadTextFile(dir_.File("bot/cache/mlb_1")), "b");
  EXPECT_TRUE(fs::is_directory(dir_.File("bot/cache/empty/deeper")));
}

// A file name with a line break would forge journal manifest lines (and
// make undo act on a path the step never touched): such a path is refused.
TEST_F(RunnerTest, ANameWithALineBreakIsNotRemoved) {
  const std::string forged = dir_.File("bot/cache/a\n3\t0\tconfig.py");
  WriteTextFile(forged, "x");
  auto r = Make("playbooks:\n  p:\n    steps:\n      - remove: {globs: ['cache']}\n");
  ASSERT_TRUE(r.ok()) << r.status();
  auto result = (*r)->Run("p", "c1", false);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->ok);
  EXPECT_NE(result->steps[0].output.find("has a line break; not touched"), std::string::npos)
      << result->steps[0].output;
  EXPECT_TRUE(fs::exists(forged));  // nothing removed
  EXPECT_TRUE(fs::exists(dir_.File("bot/config.py")));
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
  EXPECT_EQ(plan->steps[0].status, StepOutcome::kPlanned);
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

// A timed-out step's whole process group goes: a shell's background child
// does not live on holding the bot's files.
TEST_F(RunnerTest, ATimedOutRunStepKillsItsWholeProcessGroup) {
  auto r = Make(
      "playbooks:\n  slow:\n    steps:\n"
      "      - run: {command: [/bin/sh, -c, 'sleep 30 & echo $! > child.pid; wait'], "
      "timeout: 300ms}\n");
  ASSERT_TRUE(r.ok()) << r.status();
  auto slow = (*r)->Run("slow", "c1", false);
  ASSERT_TRUE(slow.ok());
  EXPECT_NE(slow->steps[0].output.find("timed out"), std::string::npos);
  ASSERT_TRUE(rollguard::testing::WaitFor(
      [&] { return !ReadTextFile(dir_.File("bot/child.pid")).empty(); }, absl::Seconds(5)));
  const pid_t child = std::stoi(ReadTextFile(dir_.File("bot/child.pid")));
  // Dead: gone, or a zombie waiting for whoever reaps orphans here.
  auto dead = [&] {
    std::string stat = ReadTextFile(absl::StrCat("/proc/", child, "/stat"));
    size_t paren = stat.rfind(')');
    return stat.empty() || (paren != std::string::npos && stat.substr(paren + 2, 1) == "Z");
  };
  EXPECT_TRUE(rollguard::testing::WaitFor(dead, absl::Seconds(5)))
      << "pid " << child << " outlived its step";
}

// The agent blocks SIGTERM for its signal thread; a step's child must not
// inherit that, or `kill PID` would not stop it.
TEST_F(RunnerTest, RunStepsStartWithNoSignalBlocked) {
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &term, &old), 0);
  auto r = Make(
      "playbooks:\n  p:\n    steps:\n"
      "      - run: {command: [/bin/grep, SigBlk, /proc/self/status]}\n");
  ASSERT_TRUE(r.ok()) << r.status();
  auto result = (*r)->Run("p", "c1", false);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(result.ok() && result->ok) << result->steps[0].output;
  EXPECT_EQ(result->steps[0].output, "SigBlk:\t0000000000000000");
}

// The daemon and an operator's local `rollguard-agent run` share one lock:
// while another process holds it, a run (and an undo) is refused, not
// interleaved with the other's edits.
TEST_F(RunnerTest, AnotherProcessHoldingTheHostLockBlocksARun) {
  auto r = Make(
      "playbooks:\n  p:\n    steps:\n"
      "      - set_flags: {file: config.py, flags: {soccer_integration: false}}\n");
  ASSERT_TRUE(r.ok()) << r.status();
  // A child process takes the lock as a second agent would, and holds it.
  const std::string lock = dir_.File("state/playbook.lock");
  fs::create_directories(dir_.File("state"));
  // Only async-signal-safe calls between fork and _exit (the test process
  // has threads): no allocation in the child.
  const char* lock_path = lock.c_str();
  pid_t holder = ::fork();
  if (holder == 0) {
    int fd = ::open(lock_path, O_RDWR | O_CREAT, 0644);
    ::flock(fd, LOCK_EX);
    char pid[32];
    int n = std::snprintf(pid, sizeof pid, "%d\n", static_cast<int>(::getpid()));
    (void)::pwrite(fd, pid, static_cast<size_t>(n), 0);
    ::pause();
    ::_exit(0);
  }
  ASSERT_TRUE(
      rollguard::testing::WaitFor([&] { return !ReadTextFile(lock).empty(); }, absl::Seconds(5)));
  auto blocked = (*r)->Run("p", "c1", false);
  EXPECT_EQ(blocked.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(blocked.status().message().find(
                absl::StrCat("another playbook is running on this host (pid ", holder, ")")),
            std::string::npos)
      << blocked.status();
  EXPECT_EQ(ReadTextFile(dir_.File("bot/config.py")),
            "FEATURES = {\"soccer_integration\": True}\n");  // untouched
  EXPECT_TRUE((*r)->Run("p", "plan", true).ok());            // a dry run needs no lock
  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  // The holder died: the kernel released its lock.
  auto ran = (*r)->Run("p", "c1", false);
  ASSERT_TRUE(ran.ok()) << ran.status();
  EXPECT_TRUE(ran->ok);
}

TEST_F(RunnerTest, ALinkPlantedAtTheLockIsNotFollowed) {
  auto r = Make(
      "playbooks:\n  p:\n    steps:\n"
      "      - set_flags: {file: config.py, flags: {soccer_integration: false}}\n");
  ASSERT_TRUE(r.ok()) << r.status();
  WriteTextFile(dir_.File("precious"), "do not truncate me\n");
  fs::create_directories(dir_.File("state"));
  fs::create_symlink(dir_.File("precious"), dir_.File("state/playbook.lock"));
  auto refused = (*r)->Run("p", "c1", false);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("playbook.lock"), std::string::npos)
      << refused.status();
  EXPECT_EQ(ReadTextFile(dir_.File("precious")), "do not truncate me\n");
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

}  // namespace
}  // namespace rollguard::agent
