#include "collector/remote_write/write_request.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include "prometheus/remote.pb.h"
#include "tests/fakes/memory_storage.h"

namespace rollguard::collector {
namespace {

prometheus::WriteRequest Decode(const std::string& body) {
  std::string raw;
  EXPECT_TRUE(snappy::Uncompress(body.data(), body.size(), &raw)) << "not snappy block format";
  prometheus::WriteRequest request;
  EXPECT_TRUE(request.ParseFromString(raw));
  return request;
}

TEST(WriteRequestTest, GroupsSamplesBySeriesWithSortedLabelsAndTheMetricName) {
  testing::MemoryStorage storage;
  SeriesId cpu = storage.Intern({"cpu_usage", {{"host", "web-1"}, {"Zone", "eu"}}});
  SeriesId mem = storage.Intern({"memory_usage", {{"host", "web-1"}}});
  WriteRequestBuilder builder(&storage);
  std::vector<LogRecord> records = {{7, {{cpu, 1000, 1.5}, {mem, 1000, 40}}},
                                    {8, {{cpu, 2000, 2.5}}}};
  BuiltRequest built = builder.Build(records);
  EXPECT_EQ(built.samples, 3u);
  EXPECT_EQ(built.series, 2u);
  EXPECT_EQ(built.newest_ms, 2000);
  prometheus::WriteRequest request = Decode(built.body);
  ASSERT_EQ(request.timeseries_size(), 2);
  const prometheus::TimeSeries& ts = request.timeseries(0);
  ASSERT_EQ(ts.labels_size(), 3);
  // Byte order of names: "Zone" < "__name__" < "host".
  EXPECT_EQ(ts.labels(0).name(), "Zone");
  EXPECT_EQ(ts.labels(1).name(), "__name__");
  EXPECT_EQ(ts.labels(1).value(), "cpu_usage");
  EXPECT_EQ(ts.labels(2).name(), "host");
  EXPECT_EQ(ts.labels(2).value(), "web-1");
  ASSERT_EQ(ts.samples_size(), 2);
  EXPECT_EQ(ts.samples(0).timestamp(), 1000);
  EXPECT_EQ(ts.samples(0).value(), 1.5);
  EXPECT_EQ(ts.samples(1).timestamp(), 2000);
  EXPECT_EQ(request.timeseries(1).samples(0).value(), 40);
}

TEST(WriteRequestTest, ADuplicateOfTheNewestSentIsLeftOutOlderSamplesStillGo) {
  testing::MemoryStorage storage;
  SeriesId cpu = storage.Intern({"cpu_usage", {{"host", "a"}}});
  WriteRequestBuilder builder(&storage);
  std::vector<LogRecord> first = {{1, {{cpu, 1000, 1}, {cpu, 2000, 2}}}};
  EXPECT_EQ(builder.Build(first).samples, 2u);
  builder.Commit();
  // An agent resent its batch after a reconnect (2000 is the newest sent),
  // and a batch of 500 reached the log after one of 3000.
  std::vector<LogRecord> again = {
      {2, {{cpu, 2000, 2}}}, {3, {{cpu, 3000, 3}}}, {4, {{cpu, 500, 5}, {cpu, 3000, 3}}}};
  BuiltRequest built = builder.Build(again);
  EXPECT_EQ(built.samples, 2u);  // 3000 and 500
  EXPECT_EQ(built.not_newer, 2u);
  auto request = Decode(built.body);
  ASSERT_EQ(request.timeseries(0).samples_size(), 2);
  EXPECT_EQ(request.timeseries(0).samples(0).timestamp(), 3000);
  EXPECT_EQ(request.timeseries(0).samples(1).timestamp(), 500);
  // Without Commit (the request was not sent) the same samples are built again.
  EXPECT_EQ(builder.Build(again).samples, 2u);
}

TEST(WriteRequestTest, SamplesOfAnUnknownSeriesAreCountedNotSent) {
  testing::MemoryStorage storage;
  SeriesId cpu = storage.Intern({"cpu_usage", {{"host", "a"}}});
  WriteRequestBuilder builder(&storage);
  std::vector<LogRecord> records = {{1, {{cpu + 100, 1000, 1}, {cpu, 1000, 2}}}};
  BuiltRequest built = builder.Build(records);
  EXPECT_EQ(built.samples, 1u);
  EXPECT_EQ(built.unknown_series, 1u);
  std::vector<LogRecord> none = {{2, {{cpu + 100, 2000, 1}}}};
  EXPECT_TRUE(builder.Build(none).body.empty());
}

}  // namespace
}  // namespace rollguard::collector
