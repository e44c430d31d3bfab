// The sample log's readers (remote write): the log keeps what a reader has
// not read, across restarts, without replaying sealed records into the heads,
// and new records never number below a reader's place.
#include <gtest/gtest.h>

#include "collector/storage/rocksdb_storage.h"
#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

using rollguard::testing::TempDir;

std::unique_ptr<Storage> Open(const TempDir& dir) {
  auto st = OpenRocksDbStorage(dir.path(), {});
  EXPECT_TRUE(st.ok()) << st.status();
  return st.ok() ? std::move(*st) : nullptr;
}

size_t SamplesFrom(const Storage& s, uint64_t from) {
  uint64_t skipped = 0;
  auto records = s.ReadLog(from, 1'000'000, &skipped);
  EXPECT_TRUE(records.ok()) << records.status();
  size_t n = 0;
  for (const LogRecord& r : *records) n += r.samples.size();
  return n;
}

TEST(LogReadersTest, ANewReaderStartsAtTheEndAndReadsWhatComesAfter) {
  TempDir dir;
  auto s = Open(dir);
  SeriesId id = s->Intern({"m", {{"host", "a"}}});
  ASSERT_TRUE(s->Append({{id, 1000, 1}}).ok());
  auto cursor = s->OpenLogReader("vm");
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(*cursor, s->LogEnd());
  EXPECT_EQ(SamplesFrom(*s, *cursor), 0u);
  ASSERT_TRUE(s->Append({{id, 2000, 2}, {id, 3000, 3}}).ok());
  ASSERT_TRUE(s->Append({{id, 4000, 4}}).ok());
  uint64_t skipped = 0;
  auto records = s->ReadLog(*cursor, 2, &skipped);
  ASSERT_TRUE(records.ok());
  // Whole records until the limit is reached: the first one already holds 2.
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].samples.size(), 2u);
  EXPECT_EQ((*records)[0].samples[1].timestamp_ms, 3000);
  EXPECT_EQ(SamplesFrom(*s, *cursor), 3u);
  EXPECT_EQ(skipped, 0u);
}

TEST(LogReadersTest, TheLogIsKeptForAReaderAcrossRestartsButNotReplayedIntoTheHeads) {
  TempDir dir;
  uint64_t cursor = 0;
  SeriesId id = 0;
  {
    auto s = Open(dir);
    id = s->Intern({"m", {{"host", "a"}}});
    cursor = *s->OpenLogReader("vm");
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(s->Append({{id, 1000 + i, static_cast<double>(i)}}).ok());
    }
  }  // closing seals every head: the records are in chunks now
  auto s = Open(dir);
  EXPECT_EQ(s->Stats().head_points, 0u) << "sealed records were replayed into the heads";
  EXPECT_EQ(*s->OpenLogReader("vm"), cursor);
  EXPECT_EQ(SamplesFrom(*s, cursor), 50u);
  EXPECT_EQ(s->Query(id, 0, 10'000, 0)->size(), 50u);

  // Once read, the records go at the next truncation (closing runs one).
  ASSERT_TRUE(s->AdvanceLogReader("vm", s->LogEnd()).ok());
  s.reset();
  s = Open(dir);
  EXPECT_EQ(SamplesFrom(*s, 0), 0u);
  EXPECT_EQ(s->Query(id, 0, 10'000, 0)->size(), 50u);
}

TEST(LogReadersTest, NewRecordsNeverNumberBelowAReadersPlace) {
  TempDir dir;
  uint64_t cursor = 0;
  SeriesId id = 0;
  {
    auto s = Open(dir);
    id = s->Intern({"m", {{"host", "a"}}});
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(s->Append({{id, 1000 + i, 1}}).ok());
    ASSERT_TRUE(s->OpenLogReader("vm").ok());
    cursor = s->LogEnd();
    ASSERT_TRUE(s->AdvanceLogReader("vm", cursor).ok());
  }  // the log is empty after closing: nothing holds it
  auto s = Open(dir);
  EXPECT_GE(s->LogEnd(), cursor);
  ASSERT_TRUE(s->Append({{id, 5000, 5}}).ok());
  EXPECT_EQ(SamplesFrom(*s, *s->OpenLogReader("vm")), 1u) << "the new record hid below the cursor";
}

TEST(LogReadersTest, AReaderNoLongerConfiguredStopsHoldingTheLog) {
  TempDir dir;
  {
    auto s = Open(dir);
    SeriesId id = s->Intern({"m", {{"host", "a"}}});
    ASSERT_TRUE(s->OpenLogReader("old").ok());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(s->Append({{id, 1000 + i, 1}}).ok());
  }
  auto s = Open(dir);
  EXPECT_EQ(SamplesFrom(*s, 0), 10u);
  ASSERT_TRUE(s->RetainLogReaders({"new"}).ok());
  s.reset();
  s = Open(dir);
  EXPECT_EQ(SamplesFrom(*s, 0), 0u);
}

}  // namespace
}  // namespace rollguard::collector
