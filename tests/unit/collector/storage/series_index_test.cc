// The compact series index: keys round-trip through the arena, lookups by
// key and by metric + labels, ids loaded from disk, and keys that do not fit
// the usual block.
#include "collector/storage/series_index.h"

#include <gtest/gtest.h>

#include <string>

namespace rollguard::collector {
namespace {

TEST(SeriesIndexTest, InternGivesOneIdPerKeyAndGetReturnsTheKey) {
  SeriesIndex index;
  bool is_new = false;
  SeriesKey cpu{"cpu_percent", {{"host", "bot-1"}, {"core", "0"}}};
  SeriesId a = index.Intern(cpu, &is_new);
  EXPECT_TRUE(is_new);
  EXPECT_EQ(index.Intern(cpu, &is_new), a);
  EXPECT_FALSE(is_new);
  SeriesId b = index.Intern({"cpu_percent", {{"host", "bot-2"}, {"core", "0"}}}, &is_new);
  EXPECT_TRUE(is_new);
  EXPECT_NE(a, b);
  // Label boundaries are part of the key: these two differ.
  SeriesId c = index.Intern({"m", {{"a", "b"}}}, &is_new);
  SeriesId d = index.Intern({"m", {{"ab", ""}}}, &is_new);
  EXPECT_NE(c, d);
  SeriesKey got;
  ASSERT_TRUE(index.Get(a, &got));
  EXPECT_EQ(got, cpu);
  ASSERT_TRUE(index.Get(d, &got));
  EXPECT_EQ(got, (SeriesKey{"m", {{"ab", ""}}}));
  EXPECT_FALSE(index.Get(0, &got));
  EXPECT_FALSE(index.Get(999, &got));
}

// The per-host quota reads these counts: new series count once, a known key
// again does not, and a key loaded twice from disk (a crash between two
// definitions of one key) counts once.
TEST(SeriesIndexTest, CountsSeriesPerHost) {
  SeriesIndex index;
  bool is_new = false;
  index.Intern({"cpu", {{"host", "a"}}}, &is_new);
  index.Intern({"mem", {{"host", "a"}}}, &is_new);
  index.Intern({"cpu", {{"host", "a"}}}, &is_new);
  index.Intern({"cpu", {{"host", "b"}}}, &is_new);
  index.Intern({"fleet_size", {}}, &is_new);
  index.Load(10, {"disk", {{"host", "b"}}});
  index.Load(11, {"disk", {{"host", "b"}}});
  EXPECT_EQ(index.CountOfHost("a"), 2u);
  EXPECT_EQ(index.CountOfHost("b"), 2u);
  EXPECT_EQ(index.CountOfHost("c"), 0u);
}

TEST(SeriesIndexTest, FindByMetricAndLabels) {
  SeriesIndex index;
  bool is_new = false;
  for (int h = 0; h < 5; ++h) {
    for (const char* m : {"errors", "latency"}) {
      index.Intern({m, {{"host", "bot-" + std::to_string(h)}, {"env", h < 2 ? "prod" : "dev"}}},
                   &is_new);
    }
  }
  EXPECT_EQ(index.Find("errors", {}).size(), 5u);
  EXPECT_EQ(index.Find("errors", {{"env", "prod"}}).size(), 2u);
  auto one = index.Find("latency", {{"host", "bot-3"}});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].key.labels.at("env"), "dev");
  EXPECT_EQ(index.Find("", {{"host", "bot-3"}}).size(), 2u);  // any metric
  EXPECT_TRUE(index.Find("errors", {{"missing", "x"}}).empty());
  EXPECT_TRUE(index.Find("nope", {}).empty());
  // Through the host list: the other matchers and the metric still apply.
  EXPECT_EQ(index.Find("errors", {{"host", "bot-1"}, {"env", "prod"}}).size(), 1u);
  EXPECT_TRUE(index.Find("errors", {{"host", "bot-1"}, {"env", "dev"}}).empty());
  EXPECT_TRUE(index.Find("errors", {{"host", "bot-9"}}).empty());
  EXPECT_TRUE(index.Find("err", {{"host", "bot-1"}}).empty());  // a prefix is not the metric
  // Loaded ids are in the host list too.
  SeriesIndex loaded;
  loaded.Load(7, {"errors", {{"host", "bot-1"}}});
  ASSERT_EQ(loaded.Find("errors", {{"host", "bot-1"}}).size(), 1u);
  EXPECT_EQ(loaded.Find("errors", {{"host", "bot-1"}})[0].id, 7u);
}

TEST(SeriesIndexTest, LoadedIdsAreFoundAndNewIdsComeAfterThem) {
  SeriesIndex index;
  index.Load(7, {"up", {{"host", "a"}}});
  index.Load(3, {"up", {{"host", "b"}}});
  bool is_new = true;
  EXPECT_EQ(index.Intern({"up", {{"host", "a"}}}, &is_new), 7u);
  EXPECT_FALSE(is_new);
  EXPECT_EQ(index.Intern({"up", {{"host", "c"}}}, &is_new), 8u);
  EXPECT_TRUE(is_new);
  EXPECT_EQ(index.Unpersisted({3, 7, 8}), std::vector<SeriesId>{8});
  index.MarkPersisted({8});
  EXPECT_TRUE(index.Unpersisted({8}).empty());
  EXPECT_EQ(index.AllIds(), (std::vector<SeriesId>{3, 7, 8}));
}

TEST(SeriesIndexTest, ManyKeysAcrossBlocksAndAnOversizedKey) {
  SeriesIndex index;
  bool is_new = false;
  // ~60 bytes each: 40,000 keys fill a few 1 MiB blocks.
  for (int i = 0; i < 40'000; ++i) {
    index.Intern({"requests_total", {{"host", "bot-" + std::to_string(i)}, {"route", "/api"}}},
                 &is_new);
  }
  SeriesKey huge{"big", {{"blob", std::string(3 << 20, 'x')}}};
  SeriesId h = index.Intern(huge, &is_new);
  SeriesId after = index.Intern({"small", {}}, &is_new);
  SeriesKey got;
  ASSERT_TRUE(index.Get(h, &got));
  EXPECT_EQ(got, huge);
  ASSERT_TRUE(index.Get(after, &got));
  EXPECT_EQ(got.metric, "small");
  for (int i : {0, 17'000, 39'999}) {
    SeriesId id = index.Intern(
        {"requests_total", {{"host", "bot-" + std::to_string(i)}, {"route", "/api"}}}, &is_new);
    EXPECT_FALSE(is_new) << i;
    ASSERT_TRUE(index.Get(id, &got));
    EXPECT_EQ(got.labels.at("host"), "bot-" + std::to_string(i));
  }
}

}  // namespace
}  // namespace rollguard::collector
