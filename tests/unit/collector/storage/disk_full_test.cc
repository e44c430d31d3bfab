// The storage on a full disk: writes are refused with UNAVAILABLE (the agent
// keeps its batch and resends), nothing acknowledged before is lost, and
// writes succeed again by themselves once space returns: no restart.
#include <gtest/gtest.h>

#include "collector/storage/rocksdb_storage.h"
#include "tests/fakes/full_disk_fs.h"
#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

using rollguard::testing::FullDiskFileSystem;
using rollguard::testing::TempDir;

SeriesKey Key(const std::string& host) { return {"cpu_usage", {{"host", host}}}; }

TEST(DiskFullTest, RefusesWhileFullAndResumesByItselfWhenSpaceReturns) {
  TempDir dir;
  auto fs = std::make_shared<FullDiskFileSystem>();
  RocksDbOptions o;
  o.env = FullDiskFileSystem::EnvOf(fs);
  auto st = OpenRocksDbStorage(dir.path(), o);
  ASSERT_TRUE(st.ok()) << st.status();
  Storage& s = **st;
  SeriesId cpu = s.Intern(Key("a"));
  ASSERT_TRUE(s.Append({{cpu, 1000, 1}}).ok());

  fs->SetFull(true);
  absl::Status refused = s.Append({{cpu, 2000, 2}});
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  EXPECT_NE(refused.message().find("space"), std::string::npos) << refused;
  // Still refused while full, and what was stored is still there.
  EXPECT_FALSE(s.Append({{cpu, 3000, 3}}).ok());
  EXPECT_EQ(s.Query(cpu, 0, 10000, 0)->size(), 1u);
  // What `rollguard storage` shows meanwhile.
  EXPECT_EQ(s.Stats().failed_writes, 2u);
  EXPECT_NE(s.Stats().write_error.find("No space left"), std::string::npos);
  EXPECT_GT(s.Stats().write_error_since_ms, 0);

  fs->SetFull(false);
  absl::Status resumed = absl::UnknownError("not tried");
  for (int i = 0; i < 100 && !resumed.ok(); ++i) {
    resumed = s.Append({{cpu, 2000, 2}});
    if (!resumed.ok()) absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(resumed.ok()) << resumed;
  ASSERT_TRUE(s.Append({{cpu, 3000, 3}}).ok());
  EXPECT_EQ(s.Query(cpu, 0, 10000, 0)->size(), 3u);
  EXPECT_EQ(s.Stats().write_error, "");
}

// The sealer keeps trying to turn heads into chunks while the disk is full;
// every point acknowledged before, during (none) and after is there, also
// after the storage is closed and opened again.
TEST(DiskFullTest, SealingThroughAFullDiskLosesNothingAcknowledged) {
  TempDir dir;
  auto fs = std::make_shared<FullDiskFileSystem>();
  RocksDbOptions o;
  o.env = FullDiskFileSystem::EnvOf(fs);
  o.head_full_points = 20;
  o.seal_interval_ms = 20;
  size_t acknowledged = 0;
  int64_t t = 1000;
  {
    auto st = OpenRocksDbStorage(dir.path(), o);
    ASSERT_TRUE(st.ok()) << st.status();
    Storage& s = **st;
    std::vector<SeriesId> ids;
    for (int h = 0; h < 20; ++h) ids.push_back(s.Intern(Key("h" + std::to_string(h))));
    auto append_round = [&] {
      std::vector<StoredSample> batch;
      for (SeriesId id : ids) batch.push_back({id, t, 1.0});
      t += 1000;
      if (s.Append(batch).ok()) acknowledged += batch.size();
    };
    for (int i = 0; i < 50; ++i) append_round();
    fs->SetFull(true);
    for (int i = 0; i < 30; ++i) {
      append_round();
      absl::SleepFor(absl::Milliseconds(20));  // the sealer runs and fails meanwhile
    }
    EXPECT_GT(fs->refused(), 0u);
    fs->SetFull(false);
    for (int i = 0; i < 1000 && acknowledged < 20 * 60; ++i) {
      append_round();
      absl::SleepFor(absl::Milliseconds(20));
    }
    ASSERT_GE(acknowledged, 20u * 60);
    size_t stored = 0;
    for (SeriesId id : ids) stored += s.Query(id, 0, t, 0)->size();
    EXPECT_EQ(stored, acknowledged);
  }
  auto st = OpenRocksDbStorage(dir.path(), {});
  ASSERT_TRUE(st.ok()) << st.status();
  size_t stored = 0;
  for (const SeriesInfo& info : (*st)->FindSeries("cpu_usage", {})) {
    stored += (*st)->Query(info.id, 0, t, 0)->size();
  }
  EXPECT_EQ(stored, acknowledged);
}

}  // namespace
}  // namespace rollguard::collector
