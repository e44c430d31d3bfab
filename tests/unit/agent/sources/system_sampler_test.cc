#include "agent/sources/system_sampler.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/process.h"

namespace rollguard::agent {
namespace {

using rollguard::testing::SourcePath;
using rollguard::testing::TempDir;

TEST(SystemSamplerTest, FixtureProcGivesExactPercentages) {
  TempDir dir;
  std::filesystem::copy(SourcePath("tests/testdata/proc"), dir.path(),
                        std::filesystem::copy_options::recursive);
  SystemSampler sampler(dir.path(), "/");
  Readings first;
  sampler.Sample(&first);
  // The first pass primes cpu and reports memory and disk only.
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].metric, "memory_usage");
  EXPECT_DOUBLE_EQ(first[0].value, 50.0);
  EXPECT_EQ(first[1].metric, "disk_usage");

  std::filesystem::copy_file(dir.File("stat.later"), dir.File("stat"),
                             std::filesystem::copy_options::overwrite_existing);
  Readings second;
  sampler.Sample(&second);
  ASSERT_EQ(second.size(), 3u);
  EXPECT_EQ(second[0].metric, "cpu_usage");
  EXPECT_DOUBLE_EQ(second[0].value, 30.0);
}

TEST(SystemSamplerTest, BrokenSourceIsSkippedOthersStillReport) {
  TempDir dir;  // empty: no stat, no meminfo
  SystemSampler sampler(dir.path(), "/");
  Readings r;
  sampler.Sample(&r);
  sampler.Sample(&r);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].metric, "disk_usage");
}

TEST(SystemSamplerTest, RealProcIsInRange) {
  SystemSampler sampler("/proc", "/");
  Readings r;
  sampler.Sample(&r);
  sampler.Sample(&r);
  for (const auto& x : r) {
    EXPECT_GE(x.value, 0.0) << x.metric;
    EXPECT_LE(x.value, 100.0) << x.metric;
  }
}

}  // namespace
}  // namespace rollguard::agent
