#include "collector/ingest/batch_decoder.h"

#include <gtest/gtest.h>

#include "tests/fakes/memory_storage.h"

namespace rollguard::collector {
namespace {

using rollguard::v1::MetricBatch;

class BatchDecoderTest : public ::testing::Test {
 protected:
  static void Define(MetricBatch* b, uint32_t id, const std::string& metric,
                     std::map<std::string, std::string> labels = {}) {
    auto* d = b->add_new_series();
    d->set_id(id);
    d->set_metric(metric);
    for (auto& [k, v] : labels) (*d->mutable_labels())[k] = v;
  }
  static void Add(MetricBatch* b, uint32_t id, int64_t t, double v) {
    b->add_series_ids(id);
    b->add_timestamps_ms(t);
    b->add_values(v);
  }
  std::unique_ptr<Storage> storage_ = std::make_unique<rollguard::testing::MemoryStorage>();
};

TEST_F(BatchDecoderTest, DefinitionsOnceThenIdsOnly) {
  StreamSeries stream("bot-1", storage_.get());
  MetricBatch b1;
  b1.set_sequence(1);
  Define(&b1, 1, "cpu_usage");
  Define(&b1, 2, "queue_depth", {{"queue", "mcp"}});
  Add(&b1, 1, 1000, 12.5);
  Add(&b1, 2, 1000, 1);
  DecodedBatch out;
  ASSERT_TRUE(stream.Decode(b1, &out).ok());
  ASSERT_EQ(out.samples.size(), 2u);
  // The collector adds host=<id> so the series is unique across the fleet.
  auto found = storage_->FindSeries("queue_depth", {{"host", "bot-1"}, {"queue", "mcp"}});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(out.samples[1].series, found[0].id);

  MetricBatch b2;
  b2.set_sequence(2);
  Add(&b2, 1, 2000, 13);
  ASSERT_TRUE(stream.Decode(b2, &out).ok());
  EXPECT_EQ(out.samples[0].series, storage_->FindSeries("cpu_usage", {})[0].id);
}

TEST_F(BatchDecoderTest, MalformedBatchesAreRefusedWithReasons) {
  struct Case {
    std::function<void(MetricBatch*)> build;
    std::string expect;
  } cases[] = {
      {[](MetricBatch* b) { Add(b, 1, 1, 1); }, "never defined on this stream"},
      {[](MetricBatch* b) {
         Define(b, 1, "m");
         b->add_series_ids(1);
       },
       "equal lengths (got 1, 0, 0)"},
      {[](MetricBatch* b) { Define(b, 0, "m"); }, "series id 0 out of range"},
      {[](MetricBatch* b) { Define(b, 1, "bad name"); }, "metric name 'bad name'"},
      {[](MetricBatch* b) {
         Define(b, 1, "m", {{"host", "spoof"}});
       },
       "label 'host' is reserved"},
      {[](MetricBatch* b) {
         Define(b, 1, "m", {{"bad-label", "x"}});
       },
       "label name 'bad-label'"},
  };
  for (const auto& tc : cases) {
    StreamSeries stream("h", storage_.get());
    MetricBatch b;
    b.set_sequence(7);
    tc.build(&b);
    DecodedBatch out;
    absl::Status s = stream.Decode(b, &out);
    ASSERT_FALSE(s.ok()) << tc.expect;
    EXPECT_NE(s.message().find("batch 7: "), std::string::npos) << s;
    EXPECT_NE(s.message().find(tc.expect), std::string::npos) << s;
  }
}

TEST_F(BatchDecoderTest, BadBatchDefinesNothing) {
  StreamSeries stream("h", storage_.get());
  MetricBatch bad;
  Define(&bad, 1, "good");
  Add(&bad, 1, 1, 1);
  Add(&bad, 9, 1, 1);  // undefined id: the whole batch is refused
  DecodedBatch out;
  ASSERT_FALSE(stream.Decode(bad, &out).ok());
  MetricBatch next;
  Add(&next, 1, 2, 2);
  EXPECT_FALSE(stream.Decode(next, &out).ok());  // id 1 was not defined by the bad batch
}

TEST_F(BatchDecoderTest, ConflictingRedefinitionIsRefused) {
  StreamSeries stream("h", storage_.get());
  MetricBatch b1;
  Define(&b1, 1, "a");
  DecodedBatch out;
  ASSERT_TRUE(stream.Decode(b1, &out).ok());
  MetricBatch same;
  Define(&same, 1, "a");
  EXPECT_TRUE(stream.Decode(same, &out).ok());
  MetricBatch other;
  Define(&other, 1, "b");
  EXPECT_FALSE(stream.Decode(other, &out).ok());
}

TEST_F(BatchDecoderTest, AProbeDefinitionNamesItsDowntimeSeries) {
  StreamSeries stream("bot-1", storage_.get());
  MetricBatch b;
  Define(&b, 5, "probe_up", {{"probe", "mcp"}});
  Define(&b, 6, "probe_up");  // no probe label: nothing to derive
  Add(&b, 5, 1000, 0);
  DecodedBatch out;
  ASSERT_TRUE(stream.Decode(b, &out).ok());
  // Decoding derives nothing itself (that needs the stored history).
  ASSERT_EQ(out.samples.size(), 1u);
  ASSERT_EQ(out.new_probes.size(), 1u);
  EXPECT_EQ(out.new_probes[0].probe_up, out.samples[0].series);
  auto derived = storage_->FindSeries("mcp_downtime", {{"host", "bot-1"}});
  ASSERT_EQ(derived.size(), 1u);
  EXPECT_EQ(out.new_probes[0].downtime, derived[0].id);
  // Later batches of the stream define nothing new.
  MetricBatch next;
  Add(&next, 5, 2000, 1);
  ASSERT_TRUE(stream.Decode(next, &out).ok());
  EXPECT_TRUE(out.new_probes.empty());
}

}  // namespace
}  // namespace rollguard::collector
