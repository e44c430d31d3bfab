#include "collector/storage/rocksdb_storage.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <limits>
#include <map>
#include <thread>

#include "collector/storage/key_codec.h"
#include "collector/storage/rocksdb_layout.h"
#include "collector/storage/stored_chunk.h"
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

TEST(RocksDbStorageTest, SecondOpenOfOneFolderFailsClearly) {
  TempDir dir;
  auto first = OpenRocksDbStorage(dir.path(), {});
  ASSERT_TRUE(first.ok());
  auto second = OpenRocksDbStorage(dir.path(), {});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find(dir.path()), std::string::npos);
  EXPECT_NE(second.status().message().find("another collector"), std::string::npos);
}

// --- the engine: log, heads, chunks ---

namespace engine {

using rollguard::testing::WaitFor;

std::vector<StoredSample> Every10s(SeriesId id, int n, int64_t from = 1'800'000'000'000) {
  std::vector<StoredSample> out;
  for (int i = 0; i < n; ++i) out.push_back({id, from + i * 10'000 + (i % 3), 20.0 + i * 0.25});
  return out;
}

TEST(StorageEngineTest, FullHeadsAreSealedAndQueriesMergeChunksAndHeads) {
  TempDir dir;
  RocksDbOptions o;
  o.head_full_points = 10;
  auto st = OpenRocksDbStorage(dir.path(), o);
  Storage& s = **st;
  SeriesId a = s.Intern(Key("m", "a"));
  auto samples = Every10s(a, 25);
  // 20 points: a full head, sealed by the sealer thread.
  for (size_t i = 0; i < 20; i += 5) {
    ASSERT_TRUE(s.Append(absl::MakeConstSpan(samples).subspan(i, 5)).ok());
  }
  ASSERT_TRUE(WaitFor([&] { return s.Stats().head_points == 0; }, absl::Seconds(5)))
      << s.Stats().head_points;
  // 5 more stay in the head (not full, not old).
  ASSERT_TRUE(s.Append(absl::MakeConstSpan(samples).subspan(20, 5)).ok());
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(s.Stats().head_points, 5u);
  auto all = s.Query(a, 0, std::numeric_limits<int64_t>::max(), 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 25u);
  for (size_t i = 0; i < 25; ++i) {
    EXPECT_EQ((*all)[i].timestamp_ms, samples[i].timestamp_ms);
    EXPECT_EQ((*all)[i].value, samples[i].value);
  }
  // A range inside one chunk, across a chunk and the head, and the newest few.
  EXPECT_EQ(s.Query(a, samples[3].timestamp_ms, samples[7].timestamp_ms, 0)->size(), 4u);
  EXPECT_EQ(s.Query(a, samples[18].timestamp_ms, samples[23].timestamp_ms, 0)->size(), 5u);
  auto newest = s.Query(a, 0, std::numeric_limits<int64_t>::max(), 3);
  ASSERT_EQ(newest->size(), 3u);
  EXPECT_EQ(newest->back().timestamp_ms, samples[24].timestamp_ms);
  EXPECT_EQ((*s.Latest(a))->timestamp_ms, samples[24].timestamp_ms);
}

TEST(StorageEngineTest, AfterACrashTheHeadsAreRebuiltFromTheLog) {
  TempDir dir;
  auto samples = std::vector<StoredSample>();
  {
    RocksDbOptions o;
    o.seal_on_close = false;  // as if killed: nothing sealed on the way out
    auto st = OpenRocksDbStorage(dir.path(), o);
    SeriesId a = (*st)->Intern(Key("m", "a"));
    samples = Every10s(a, 50);
    ASSERT_TRUE((*st)->Append(samples).ok());
  }
  auto st = OpenRocksDbStorage(dir.path(), {});
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ((*st)->Stats().head_points, 50u);
  auto all = (*st)->Query(samples[0].series, 0, std::numeric_limits<int64_t>::max(), 0);
  ASSERT_EQ(all->size(), 50u);
  EXPECT_EQ(all->back().value, samples.back().value);
}

TEST(StorageEngineTest, RetentionDropsWholeChunks) {
  TempDir dir;
  const int64_t hour = 3'600'000;
  SeriesId a = 0;
  {
    RocksDbOptions o;
    o.head_full_points = 2;
    auto st = OpenRocksDbStorage(dir.path(), o);
    a = (*st)->Intern(Key("m", "a"));
    for (int h = 0; h < 10; ++h) ASSERT_TRUE((*st)->Append({{a, h * hour, double(h)}}).ok());
    ASSERT_TRUE(WaitFor([&] { return (*st)->Stats().head_points == 0; }, absl::Seconds(5)));
    // Chunks are [0h,1h], [2h,3h], ...; retention at 6h.
    ASSERT_TRUE((*st)->DeleteBefore(6 * hour).ok());
    auto visible = (*st)->Query(a, 0, 100 * hour, 0);
    ASSERT_EQ(visible->front().timestamp_ms, 6 * hour);  // readers see the exact cutoff
  }
  // Physically, whole chunks went: those that surely ended before the cutoff
  // (starting more than one chunk span, 2 h, before it). [4h,5h] stays until
  // the next run; [0h,1h] and [2h,3h] are gone.
  auto st = OpenRocksDbStorage(dir.path(), {});
  auto kept = (*st)->Query(a, 0, 100 * hour, 0);
  ASSERT_FALSE(kept->empty());
  EXPECT_EQ(kept->front().timestamp_ms, 4 * hour);
  EXPECT_EQ(kept->size(), 6u);
}

TEST(StorageEngineTest, AQueryNeverMissesPointsBeingSealed) {
  // The sealer moves points from heads to chunks while queries run: every
  // point appended before a query starts must be in its answer.
  TempDir dir;
  RocksDbOptions o;
  o.head_full_points = 5;
  auto st = OpenRocksDbStorage(dir.path(), o);
  Storage& s = **st;
  SeriesId a = s.Intern(Key("m", "a"));
  std::atomic<int64_t> written{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int64_t i = 0; !stop; ++i) {
      ASSERT_TRUE(s.Append({{a, i, double(i)}}).ok());
      written = i + 1;
    }
  });
  int misses = 0, queries = 0;
  absl::Time until = absl::Now() + absl::Seconds(2);
  while (absl::Now() < until) {
    int64_t w = written.load();
    auto points = s.Query(a, 0, w, 0);
    ASSERT_TRUE(points.ok());
    misses += static_cast<int64_t>(points->size()) != w;
    ++queries;
  }
  stop = true;
  writer.join();
  EXPECT_EQ(misses, 0) << "of " << queries << " queries";
}

// Chunk keys per series, read straight from a closed database's "chunks".
std::map<uint32_t, int> ChunksPerSeries(const std::string& dir) {
  std::map<uint32_t, int> out;
  auto raw = OpenRawRocksDb(dir);
  EXPECT_TRUE(raw.ok()) << raw.status();
  if (!raw.ok()) return out;
  std::unique_ptr<rocksdb::Iterator> it(
      (*raw)->db()->NewIterator(rocksdb::ReadOptions(), (*raw)->cf(kChunksCf)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint32_t series = 0;
    int64_t first = 0;
    EXPECT_TRUE(DecodeSampleKey(it->key().ToString().substr(0, kSampleKeySize), &series, &first));
    ++out[series];
  }
  return out;
}

TEST(StorageEngineTest, SmallChunksAreMergedAndNothingIsLostOrReordered) {
  // Heads sealed at 5 points (as under memory pressure), 40 times per series:
  // merging keeps the chunk count low, and every point, with the last write
  // of a repeated timestamp, is still there after a reopen.
  for (bool merge : {true, false}) {
    TempDir dir;
    std::vector<StoredSample> want_a, want_b;
    SeriesId a = 0, b = 0;
    {
      RocksDbOptions o;
      o.head_full_points = 5;
      o.seal_interval_ms = 10;
      o.merge_chunks = merge;
      auto st = OpenRocksDbStorage(dir.path(), o);
      Storage& s = **st;
      a = s.Intern(Key("m", "a"));
      b = s.Intern(Key("m", "b"));
      want_a = Every10s(a, 200);
      want_b = Every10s(b, 200);
      for (size_t i = 0; i < 200; i += 5) {
        std::vector<StoredSample> batch(want_a.begin() + i, want_a.begin() + i + 5);
        batch.insert(batch.end(), want_b.begin() + i, want_b.begin() + i + 5);
        ASSERT_TRUE(s.Append(batch).ok());
        ASSERT_TRUE(WaitFor([&] { return s.Stats().head_points == 0; }, absl::Seconds(5)));
      }
      // A late rewrite of an old timestamp: sealed on its own, merged later.
      want_a[7].value = -1;
      ASSERT_TRUE(s.Append({want_a[7]}).ok());
    }
    std::map<uint32_t, int> chunks = ChunksPerSeries(dir.path());
    if (merge) {
      // 40 seals of 5: tiers of 4 (5 -> 20 -> 80 -> 320 points) leave a handful.
      EXPECT_LE(chunks[a], 8) << "series a";
      EXPECT_LE(chunks[b], 8) << "series b";
    } else {
      EXPECT_GE(chunks[b], 40);
    }
    auto st = OpenRocksDbStorage(dir.path(), {});
    ASSERT_TRUE(st.ok()) << st.status();
    for (const auto* want : {&want_a, &want_b}) {
      auto got = (*st)->Query((*want)[0].series, 0, std::numeric_limits<int64_t>::max(), 0);
      ASSERT_TRUE(got.ok()) << got.status();
      ASSERT_EQ(got->size(), want->size()) << "merge " << merge;
      for (size_t i = 0; i < want->size(); ++i) {
        EXPECT_EQ((*got)[i].timestamp_ms, (*want)[i].timestamp_ms) << i;
        EXPECT_EQ((*got)[i].value, (*want)[i].value) << i;
      }
    }
  }
}

TEST(StorageEngineTest, ADamagedChunkDoesNotStallSealing) {
  TempDir dir;
  SeriesId a = 0, b = 0;
  std::vector<StoredSample> want_a, want_b;
  {
    auto st = OpenRocksDbStorage(dir.path(), {});
    a = (*st)->Intern(Key("m", "a"));
    b = (*st)->Intern(Key("m", "b"));
    want_a = Every10s(a, 40);
    want_b = Every10s(b, 40);
  }
  {
    // A chunk of series a whose value is garbage, as a bad disk might leave it.
    auto raw = OpenRawRocksDb(dir.path());
    ASSERT_TRUE(raw.ok()) << raw.status();
    StoredChunk c = EncodeStoredChunk(a, {{want_a[0].timestamp_ms - 5'000, 1.0}}, 1);
    ASSERT_TRUE((*raw)
                    ->db()
                    ->Put(rocksdb::WriteOptions(), (*raw)->cf(kChunksCf), c.key, "\x05\xff\xff")
                    .ok());
  }
  RocksDbOptions o;
  o.head_full_points = 5;
  o.seal_interval_ms = 10;
  auto st = OpenRocksDbStorage(dir.path(), o);
  ASSERT_TRUE(st.ok()) << st.status();
  Storage& s = **st;
  // Eight seals of each series: merges are due for both; a's stops at the
  // damaged chunk, and sealing goes on for everyone.
  for (size_t i = 0; i < 40; i += 5) {
    std::vector<StoredSample> batch(want_a.begin() + i, want_a.begin() + i + 5);
    batch.insert(batch.end(), want_b.begin() + i, want_b.begin() + i + 5);
    ASSERT_TRUE(s.Append(batch).ok());
    ASSERT_TRUE(WaitFor([&] { return s.Stats().head_points == 0; }, absl::Seconds(5)))
        << "sealing stalled at round " << i / 5;
  }
  EXPECT_GT(s.Stats().chunks_merged, 0u);
  auto got_b = s.Query(b, 0, std::numeric_limits<int64_t>::max(), 0);
  ASSERT_TRUE(got_b.ok()) << got_b.status();
  EXPECT_EQ(got_b->size(), 40u);
  // Series a's reads name the damage rather than return a partial answer.
  auto got_a = s.Query(a, 0, std::numeric_limits<int64_t>::max(), 0);
  EXPECT_EQ(got_a.status().code(), absl::StatusCode::kDataLoss) << got_a.status();
  // A range after the damaged chunk is whole.
  auto recent = s.Query(a, want_a[0].timestamp_ms, std::numeric_limits<int64_t>::max(), 0);
  ASSERT_TRUE(recent.ok()) << recent.status();
  EXPECT_EQ(recent->size(), 40u);
}

}  // namespace engine

}  // namespace
}  // namespace rollguard::collector
