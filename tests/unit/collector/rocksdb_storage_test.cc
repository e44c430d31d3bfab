#include "collector/storage/rocksdb_storage.h"

#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

using rollguard::testing::TempDir;

SeriesKey Key(const std::string& metric, const std::string& host) {
  return {metric, {{"host", host}}};
}

TEST(RocksDbStorageTest, AppendQueryAndReopen) {
  TempDir dir;
  SeriesId cpu;
  {
    auto st = OpenRocksDbStorage(dir.path(), {});
    ASSERT_TRUE(st.ok()) << st.status();
    Storage& s = **st;
    cpu = s.Intern(Key("cpu_usage", "a"));
    SeriesId mem = s.Intern(Key("memory_usage", "a"));
    EXPECT_NE(cpu, mem);
    EXPECT_EQ(s.Intern(Key("cpu_usage", "a")), cpu);
    ASSERT_TRUE(
        s.Append({{cpu, 1000, 1.5}, {cpu, 2000, 2.5}, {mem, 1000, 40}, {cpu, 3000, 3.5}}).ok());
    auto pts = s.Query(cpu, 0, 10000, 0);
    ASSERT_TRUE(pts.ok());
    ASSERT_EQ(pts->size(), 3u);
    EXPECT_EQ((*pts)[0].timestamp_ms, 1000);
    EXPECT_EQ((*pts)[2].value, 3.5);
  }
  // Everything, the series ids included, survives closing and reopening.
  auto st = OpenRocksDbStorage(dir.path(), {});
  ASSERT_TRUE(st.ok()) << st.status();
  Storage& s = **st;
  EXPECT_EQ(s.Intern(Key("cpu_usage", "a")), cpu);
  auto found = s.FindSeries("cpu_usage", {{"host", "a"}});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].id, cpu);
  EXPECT_EQ(s.Query(cpu, 0, 10000, 0)->size(), 3u);
  // A new series after reopening does not reuse an old id.
  EXPECT_GT(s.Intern(Key("disk_usage", "a")), cpu);
}

TEST(RocksDbStorageTest, RangeIsHalfOpenAndLimitKeepsNewest) {
  TempDir dir;
  auto st = OpenRocksDbStorage(dir.path(), {});
  ASSERT_TRUE(st.ok());
  Storage& s = **st;
  SeriesId id = s.Intern(Key("m", "h"));
  SeriesId other = s.Intern(Key("m", "other"));
  std::vector<StoredSample> in;
  for (int i = 0; i < 100; ++i) in.push_back({id, i * 10, static_cast<double>(i)});
  in.push_back({other, 500, 999});
  ASSERT_TRUE(s.Append(in).ok());
  auto pts = s.Query(id, 100, 200, 0);
  ASSERT_EQ(pts->size(), 10u);
  EXPECT_EQ(pts->front().timestamp_ms, 100);
  EXPECT_EQ(pts->back().timestamp_ms, 190);
  auto newest = s.Query(id, 0, 1000, 3);
  ASSERT_EQ(newest->size(), 3u);
  EXPECT_EQ(newest->front().timestamp_ms, 970);
  EXPECT_EQ(newest->back().timestamp_ms, 990);
  auto latest = s.Latest(id);
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->timestamp_ms, 990);
  EXPECT_FALSE(s.Latest(s.Intern(Key("never", "h")))->has_value());
}

TEST(RocksDbStorageTest, ResentSampleReplacesNotDuplicates) {
  TempDir dir;
  auto st = OpenRocksDbStorage(dir.path(), {});
  Storage& s = **st;
  SeriesId id = s.Intern(Key("m", "h"));
  ASSERT_TRUE(s.Append({{id, 5, 1.0}}).ok());
  ASSERT_TRUE(s.Append({{id, 5, 1.0}}).ok());
  EXPECT_EQ(s.Query(id, 0, 10, 0)->size(), 1u);
}

TEST(RocksDbStorageTest, RetentionDeletesOnlyOlderPoints) {
  TempDir dir;
  auto st = OpenRocksDbStorage(dir.path(), {});
  Storage& s = **st;
  SeriesId a = s.Intern(Key("m", "a"));
  SeriesId b = s.Intern(Key("m", "b"));
  ASSERT_TRUE(s.Append({{a, 100, 1}, {a, 200, 2}, {a, 300, 3}, {b, 150, 4}, {b, 250, 5}}).ok());
  ASSERT_TRUE(s.DeleteBefore(200).ok());
  auto pa = s.Query(a, 0, 1000, 0);
  ASSERT_EQ(pa->size(), 2u);
  EXPECT_EQ(pa->front().timestamp_ms, 200);
  auto pb = s.Query(b, 0, 1000, 0);
  ASSERT_EQ(pb->size(), 1u);
  EXPECT_EQ(pb->front().timestamp_ms, 250);
}

TEST(RocksDbStorageTest, FindSeriesByLabels) {
  TempDir dir;
  auto st = OpenRocksDbStorage(dir.path(), {});
  Storage& s = **st;
  s.Intern({"probe_up", {{"host", "a"}, {"probe", "mcp"}}});
  s.Intern({"probe_up", {{"host", "a"}, {"probe", "discord"}}});
  s.Intern({"probe_up", {{"host", "b"}, {"probe", "mcp"}}});
  EXPECT_EQ(s.FindSeries("probe_up", {{"host", "a"}}).size(), 2u);
  EXPECT_EQ(s.FindSeries("probe_up", {{"probe", "mcp"}}).size(), 2u);
  EXPECT_EQ(s.FindSeries("", {{"host", "b"}}).size(), 1u);
  EXPECT_TRUE(s.FindSeries("nope", {}).empty());
}

TEST(RocksDbStorageTest, HostsPersist) {
  TempDir dir;
  {
    auto st = OpenRocksDbStorage(dir.path(), {});
    rollguard::v1::HostStatus h;
    h.set_host_id("bot-1");
    h.set_agent_version("9.9");
    ASSERT_TRUE((*st)->PutHost(h).ok());
  }
  auto st = OpenRocksDbStorage(dir.path(), {});
  auto hosts = (*st)->LoadHosts();
  ASSERT_TRUE(hosts.ok());
  ASSERT_EQ(hosts->size(), 1u);
  EXPECT_EQ((*hosts)[0].agent_version(), "9.9");
}

TEST(RocksDbStorageTest, SecondOpenOfOneFolderFailsClearly) {
  TempDir dir;
  auto first = OpenRocksDbStorage(dir.path(), {});
  ASSERT_TRUE(first.ok());
  auto second = OpenRocksDbStorage(dir.path(), {});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find(dir.path()), std::string::npos);
  EXPECT_NE(second.status().message().find("another collector"), std::string::npos);
}

}  // namespace
}  // namespace rollguard::collector
