#include "agent/sources/proc_parse.h"

#include <gtest/gtest.h>

#include "common/files.h"
#include "tests/support/process.h"

namespace rollguard::agent {
namespace {

using rollguard::testing::SourcePath;

std::string Fixture(const std::string& name) {
  return *ReadFile(SourcePath("tests/testdata/proc/" + name));
}

TEST(ProcParseTest, CpuPercentFromTwoStatReadings) {
  auto a = ParseProcStatCpu(Fixture("stat"));
  auto b = ParseProcStatCpu(Fixture("stat.later"));
  ASSERT_TRUE(a.ok() && b.ok());
  // user +100, system +50 busy; idle +300, iowait +50: 150 of 500 jiffies.
  EXPECT_DOUBLE_EQ(CpuPercent(*a, *b), 30.0);
  EXPECT_DOUBLE_EQ(CpuPercent(*a, *a), 0.0);
  EXPECT_DOUBLE_EQ(CpuPercent(*b, *a), 0.0);  // counter went backwards: no nonsense
}

TEST(ProcParseTest, StatWithoutCpuLineIsAnError) {
  EXPECT_FALSE(ParseProcStatCpu("intr 1 2 3\n").ok());
  EXPECT_FALSE(ParseProcStatCpu("cpu  1 2 x 4 5\n").ok());
  EXPECT_FALSE(ParseProcStatCpu("").ok());
}

TEST(ProcParseTest, MemoryPercentMatchesPsutil) {
  auto m = ParseMeminfo(Fixture("meminfo"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->total_kb, 16318488u);
  EXPECT_EQ(m->available_kb, 8159244u);
  EXPECT_DOUBLE_EQ(MemoryPercent(*m), 50.0);
  EXPECT_FALSE(ParseMeminfo("MemTotal: 100 kB\n").ok());  // no MemAvailable
}

TEST(ProcParseTest, DiskPercentUsesWhatNonRootCanUse) {
  // 1000 blocks, 300 free of which 250 available to non-root: 700 / 950.
  EXPECT_NEAR(DiskPercent(1000, 300, 250), 73.684, 0.001);
  EXPECT_DOUBLE_EQ(DiskPercent(0, 0, 0), 0.0);
}

TEST(ProcParseTest, ProcessStateSurvivesParensInTheName) {
  EXPECT_EQ(*ParseProcessState(Fixture("4242/stat")), 'S');
  EXPECT_EQ(*ParseProcessState(Fixture("777/stat")), 'Z');
  EXPECT_FALSE(ParseProcessState("garbage").ok());
}

TEST(ProcParseTest, VmRssFromStatusWithTabs) {
  EXPECT_EQ(*ParseVmRssKb(Fixture("4242/status")), 94208u);
  EXPECT_FALSE(ParseVmRssKb("Name:\tkthreadd\n").ok());
}

TEST(ProcParseTest, Pidfile) {
  EXPECT_EQ(*ParsePidfile("4242\n"), 4242);
  EXPECT_FALSE(ParsePidfile("").ok());
  EXPECT_FALSE(ParsePidfile("abc").ok());
  EXPECT_FALSE(ParsePidfile("-1").ok());
}

}  // namespace
}  // namespace rollguard::agent
