// Damaged records at open: the collector starts anyway, moves what it cannot
// decode into the "quarantine" column family, counts it for `rollguard
// storage`, and serves everything else. (It used to refuse to start.)
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "collector/storage/key_codec.h"
#include "collector/storage/rocksdb_layout.h"
#include "collector/storage/rocksdb_storage.h"
#include "collector/storage/sample_log.h"
#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

using rollguard::testing::TempDir;

SeriesKey Key(const std::string& host) { return {"cpu_usage", {{"host", host}}}; }

TEST(DamagedRecordsTest, AreQuarantinedAtOpenAndTheRestIsServed) {
  TempDir dir;
  SeriesId a = 0;
  SeriesId b = 0;
  {
    RocksDbOptions o;
    o.seal_on_close = false;  // keep the samples in the log, as after a crash
    auto st = OpenRocksDbStorage(dir.path(), o);
    ASSERT_TRUE(st.ok()) << st.status();
    a = (*st)->Intern(Key("a"));
    b = (*st)->Intern(Key("b"));
    ASSERT_TRUE((*st)->Append({{a, 1000, 1}, {b, 1000, 2}}).ok());
    ASSERT_TRUE((*st)->Append({{a, 2000, 3}}).ok());
  }
  {
    auto raw = OpenRawRocksDb(dir.path());
    ASSERT_TRUE(raw.ok()) << raw.status();
    rocksdb::DB* db = (*raw)->db();
    // b's definition overwritten with garbage; a log record that does not
    // decode; a log key of the wrong size.
    ASSERT_TRUE(
        db->Put(rocksdb::WriteOptions(), (*raw)->cf(kSeriesCf), EncodeSeriesIdKey(b), "\xff\x01")
            .ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), (*raw)->cf(kLogCf), EncodeBigEndian64(1u << 30),
                        "\x7f garbage")
                    .ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), (*raw)->cf(kLogCf), "short", "x").ok());
    // A log record of series 500, whose definition never made it to disk.
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), (*raw)->cf(kLogCf), EncodeBigEndian64(2),
                        EncodeLogRecord({{500, 1000, 7}}))
                    .ok());
  }
  {
    auto st = OpenRocksDbStorage(dir.path(), {});
    ASSERT_TRUE(st.ok()) << st.status();
    Storage& s = **st;
    EXPECT_EQ(s.Stats().quarantined_records, 3u);
    // a's samples, from the log, are all there; b is gone from queries.
    auto found = s.FindSeries("cpu_usage", {{"host", "a"}});
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(s.Query(found[0].id, 0, 10000, 0)->size(), 2u);
    EXPECT_TRUE(s.FindSeries("cpu_usage", {{"host", "b"}}).empty());
    // Neither b's id nor 500 is handed to a new series (their old samples
    // would join it).
    EXPECT_GT(s.Intern(Key("c")), 500u);
  }
  // Quarantined once: the next open finds nothing new and still reports it.
  auto st = OpenRocksDbStorage(dir.path(), {});
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ((*st)->Stats().quarantined_records, 3u);
}

}  // namespace
}  // namespace rollguard::collector
