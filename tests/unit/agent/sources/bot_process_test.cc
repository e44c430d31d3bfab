#include "agent/sources/bot_process.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/support/process.h"

namespace rollguard::agent {
namespace {

using rollguard::testing::SourcePath;
using rollguard::testing::TempDir;
using rollguard::testing::WriteTextFile;

const std::string kProc = SourcePath("tests/testdata/proc");

double Value(const Readings& r, const std::string& metric) {
  for (const auto& x : r) {
    if (x.metric == metric) return x.value;
  }
  ADD_FAILURE() << "no reading " << metric;
  return -1;
}

bool Has(const Readings& r, const std::string& metric) {
  for (const auto& x : r) {
    if (x.metric == metric) return true;
  }
  return false;
}

TEST(BotProcessTest, FoundByPidfile) {
  TempDir dir;
  WriteTextFile(dir.File("bot.pid"), "4242\n");
  BotProcessProbe probe(kProc, {dir.File("bot.pid"), "", ""});
  Readings r;
  probe.Sample(&r);
  EXPECT_EQ(Value(r, "bot_up"), 1.0);
  EXPECT_EQ(Value(r, "bot_pid"), 4242.0);
  EXPECT_DOUBLE_EQ(Value(r, "bot_memory_mb"), 92.0);  // 94208 kB
}

TEST(BotProcessTest, StaleOrZombiePidfileMeansDown) {
  TempDir dir;
  WriteTextFile(dir.File("bot.pid"), "777\n");  // a zombie in the fixture
  Readings r;
  BotProcessProbe(kProc, {dir.File("bot.pid"), "", ""}).Sample(&r);
  EXPECT_EQ(Value(r, "bot_up"), 0.0);
  EXPECT_FALSE(Has(r, "bot_pid"));

  WriteTextFile(dir.File("bot.pid"), "999999\n");  // no such process
  r.clear();
  BotProcessProbe(kProc, {dir.File("bot.pid"), "", ""}).Sample(&r);
  EXPECT_EQ(Value(r, "bot_up"), 0.0);

  r.clear();
  BotProcessProbe(kProc, {dir.File("missing.pid"), "", ""}).Sample(&r);
  EXPECT_EQ(Value(r, "bot_up"), 0.0);
}

TEST(BotProcessTest, FoundByCommandLineSkippingZombies) {
  BotProcessProbe probe(kProc, {"", "bot_structure.py", ""});
  EXPECT_EQ(probe.FindPid(), 4242);
  EXPECT_EQ(BotProcessProbe(kProc, {"", "no_such_bot.py", ""}).FindPid(), std::nullopt);
}

TEST(BotProcessTest, RealProcessOnThisMachine) {
  // Our own PID is skipped by the pattern search, but a pidfile naming it works.
  TempDir dir;
  WriteTextFile(dir.File("self.pid"), std::to_string(getpid()));
  BotProcessProbe probe("/proc", {dir.File("self.pid"), "", ""});
  EXPECT_EQ(probe.FindPid(), getpid());
  Readings r;
  probe.Sample(&r);
  EXPECT_GT(Value(r, "bot_memory_mb"), 1.0);
}

TEST(BotProcessTest, NothingConfiguredReportsNothing) {
  BotProcessProbe probe(kProc, {"", "", ""});
  EXPECT_TRUE(probe.disabled());
  Readings r;
  probe.Sample(&r);
  EXPECT_TRUE(r.empty());
}

TEST(BotProcessTest, ABotUnderSystemdIsFoundThroughItsUnitsCgroup) {
  TempDir dir;
  // cgroup v2's files for a unit: its processes (a zombie, the main one, a
  // child) and the memory the unit uses in all.
  WriteTextFile(dir.File("cgroup.procs"), "777\n4242\n999999\n");
  WriteTextFile(dir.File("memory.current"), "999999999\n");  // page cache too: not used
  WriteTextFile(dir.File("memory.stat"), "anon 146800640\nfile 900000000\nfile_mapped 10485760\n");
  BotProcessProbe probe(kProc, {"", "", dir.path()});
  EXPECT_FALSE(probe.disabled());
  Readings r;
  probe.Sample(&r);
  EXPECT_EQ(Value(r, "bot_up"), 1.0);
  EXPECT_EQ(Value(r, "bot_pid"), 4242.0);
  EXPECT_DOUBLE_EQ(Value(r, "bot_memory_mb"), 150.0);  // the unit's anon + mapped, as VmRSS

  // A stopped unit has no cgroup folder: down.
  r.clear();
  BotProcessProbe(kProc, {"", "", dir.File("gone")}).Sample(&r);
  EXPECT_EQ(Value(r, "bot_up"), 0.0);
  EXPECT_EQ(UnitCgroup("sportsbot.service"), "/sys/fs/cgroup/system.slice/sportsbot.service");
  EXPECT_EQ(UnitCgroup("sports-bot@eu.service"),
            "/sys/fs/cgroup/system.slice/system-sports\\x2dbot.slice/sports-bot@eu.service");
}

}  // namespace
}  // namespace rollguard::agent
