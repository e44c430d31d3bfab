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
  ASSERT_TRUE(stream.Decode(b1, {}, &out).ok());
  ASSERT_EQ(out.samples.size(), 2u);
  // The collector adds host=<id> so the series is unique across the fleet.
  auto found = storage_->FindSeries("queue_depth", {{"host", "bot-1"}, {"queue", "mcp"}});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(out.samples[1].series, found[0].id);

  MetricBatch b2;
  b2.set_sequence(2);
  Add(&b2, 1, 2000, 13);
  ASSERT_TRUE(stream.Decode(b2, {}, &out).ok());
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
    absl::Status s = stream.Decode(b, {}, &out);
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
  ASSERT_FALSE(stream.Decode(bad, {}, &out).ok());
  MetricBatch next;
  Add(&next, 1, 2, 2);
  EXPECT_FALSE(stream.Decode(next, {}, &out).ok());  // id 1 was not defined by the bad batch
}

TEST_F(BatchDecoderTest, ConflictingRedefinitionIsRefused) {
  StreamSeries stream("h", storage_.get());
  MetricBatch b1;
  Define(&b1, 1, "a");
  DecodedBatch out;
  ASSERT_TRUE(stream.Decode(b1, {}, &out).ok());
  MetricBatch same;
  Define(&same, 1, "a");
  EXPECT_TRUE(stream.Decode(same, {}, &out).ok());
  MetricBatch other;
  Define(&other, 1, "b");
  EXPECT_FALSE(stream.Decode(other, {}, &out).ok());
}

TEST_F(BatchDecoderTest, AProbeDefinitionNamesItsDowntimeSeries) {
  StreamSeries stream("bot-1", storage_.get());
  MetricBatch b;
  Define(&b, 5, "probe_up", {{"probe", "mcp"}});
  Define(&b, 6, "probe_up");  // no probe label: nothing to derive
  Add(&b, 5, 1000, 0);
  DecodedBatch out;
  ASSERT_TRUE(stream.Decode(b, {}, &out).ok());
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
  ASSERT_TRUE(stream.Decode(next, {}, &out).ok());
  EXPECT_TRUE(out.new_probes.empty());
}

TEST_F(BatchDecoderTest, SamplesOutsideTheTimeWindowAreLeftOutAndCounted) {
  StreamSeries stream("h", storage_.get());
  MetricBatch b;
  b.set_sequence(3);
  Define(&b, 1, "cpu_usage");
  const int64_t now = 1'800'000'000'000;
  Add(&b, 1, now, 1);
  Add(&b, 1, now + 365LL * 24 * 3600 * 1000, 2);  // a year ahead
  Add(&b, 1, now - 31LL * 24 * 3600 * 1000, 3);   // older than retention
  Add(&b, 1, now + 60'000, 4);                    // a minute ahead: allowed
  IngestLimits limits;
  DecodedBatch out;
  ASSERT_TRUE(stream.Decode(b, WindowAt(now, limits), &out).ok());
  ASSERT_EQ(out.samples.size(), 2u);
  EXPECT_EQ(out.samples[0].value, 1);
  EXPECT_EQ(out.samples[1].value, 4);
  EXPECT_EQ(out.refused, 2u);
  EXPECT_EQ(out.refused_reason,
            "sample 1 is dated 2028-01-15T08:00:00Z, 365d ahead of the collector's clock "
            "(max_future 5m)");
}

TEST_F(BatchDecoderTest, HugeSeriesIdsCostOneEntryNotAVectorUpToThem) {
  StreamSeries stream("h", storage_.get());
  MetricBatch b;
  Define(&b, 4'294'967'295u, "m");
  Add(&b, 4'294'967'295u, 1, 1);
  DecodedBatch out;
  ASSERT_TRUE(stream.Decode(b, {}, &out).ok());
  EXPECT_EQ(stream.series_defined(), 1u);
  EXPECT_EQ(out.samples.size(), 1u);
}

TEST_F(BatchDecoderTest, SeriesPerStreamAreBounded) {
  IngestLimits limits;
  limits.max_series_per_stream = 3;
  StreamSeries stream("h", storage_.get(), limits);
  MetricBatch b;
  b.set_sequence(1);
  for (uint32_t id = 1; id <= 3; ++id) Define(&b, id, "m" + std::to_string(id));
  DecodedBatch out;
  ASSERT_TRUE(stream.Decode(b, {}, &out).ok());
  MetricBatch more;
  more.set_sequence(2);
  Define(&more, 1, "m1");  // a resent definition is not a new series
  Define(&more, 4, "m4");
  absl::Status s = stream.Decode(more, {}, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(),
            "batch 2: defining 1 more series would exceed the limit of 3 series per stream (3 "
            "defined)");
  EXPECT_EQ(stream.series_defined(), 3u);
}

// A host that reconnects again and again, each time with new series, stops
// at the collector-wide bound; series already known (a reconnecting agent
// defines them again) still go in.
TEST_F(BatchDecoderTest, TheCollectorWideSeriesBoundRefusesOnlyNewSeriesAndKeepsTheRest) {
  IngestLimits limits;
  limits.max_series = 3;
  for (int round = 1; round <= 2; ++round) {  // two streams of one host, one after the other
    StreamSeries stream("h", storage_.get(), limits);
    MetricBatch b;
    b.set_sequence(1);
    Define(&b, 1, "m1");
    Define(&b, 2, "m2");
    Define(&b, 3, "m3");
    DecodedBatch out;
    ASSERT_TRUE(stream.Decode(b, {}, &out).ok()) << "round " << round;
  }
  StreamSeries again("h", storage_.get(), limits);
  MetricBatch more;
  more.set_sequence(7);
  Define(&more, 1, "m1");
  Define(&more, 9, "m9");
  Add(&more, 1, 1000, 1);
  Add(&more, 9, 1000, 1);
  DecodedBatch out;
  ASSERT_TRUE(again.Decode(more, {}, &out).ok());
  // m1's sample goes in; m9's is left out, with the reason, now and later.
  ASSERT_EQ(out.samples.size(), 1u);
  EXPECT_EQ(out.refused, 1u);
  EXPECT_EQ(out.refused_reason,
            "batch 7: 1 new series refused: the collector holds 3 series, its limit is 3 "
            "(ingest.max_series)");
  MetricBatch later;
  later.set_sequence(8);
  Add(&later, 1, 2000, 2);
  Add(&later, 9, 2000, 2);
  ASSERT_TRUE(again.Decode(later, {}, &out).ok());
  EXPECT_EQ(out.samples.size(), 1u);
  EXPECT_EQ(out.refused, 1u);
  EXPECT_EQ(storage_->SeriesCount(), 3u);
}

TEST_F(BatchDecoderTest, ControlCharactersAndOversizedLabelsAreRefused) {
  struct Case {
    std::map<std::string, std::string> labels;
    std::string expect;
  } cases[] = {
      // A NUL could make the series key read as another host's.
      {{{"queue", std::string("mcp\0host=bot-2", 14)}}, "label 'queue' value contains a control"},
      {{{"queue", "a\nb"}}, "control character"},
      {{{"queue", std::string(2000, 'x')}}, "value of 2000 bytes exceeds the limit of 1024"},
  };
  for (const auto& tc : cases) {
    StreamSeries stream("h", storage_.get());
    MetricBatch b;
    Define(&b, 1, "m", tc.labels);
    DecodedBatch out;
    absl::Status s = stream.Decode(b, {}, &out);
    EXPECT_NE(s.message().find(tc.expect), std::string::npos) << s;
  }
  StreamSeries stream("h", storage_.get());
  MetricBatch many;
  std::map<std::string, std::string> labels;
  for (int i = 0; i < 40; ++i) labels["l" + std::to_string(i)] = "v";
  Define(&many, 1, "m", labels);
  DecodedBatch out;
  EXPECT_NE(stream.Decode(many, {}, &out).message().find("40 labels exceeds the limit of 32"),
            std::string::npos);
  EXPECT_TRUE(storage_->FindSeries("m", {}).empty());  // nothing of a refused batch is kept
}

// An agent redefines all its series after a reconnect, in one batch: every
// one must resolve, whatever order the decoder meets them in (the dense index
// grows over ids defined in the map only).
TEST_F(BatchDecoderTest, ManySeriesDefinedInOneBatchAllResolve) {
  StreamSeries stream("h", storage_.get());
  MetricBatch b;
  for (uint32_t id = 1; id <= 300; ++id) {
    Define(&b, id, "m" + std::to_string(id));
    Add(&b, id, 1000, id);
  }
  DecodedBatch out;
  ASSERT_TRUE(stream.Decode(b, {}, &out).ok());
  ASSERT_EQ(out.samples.size(), 300u);
  for (const auto& s : out.samples) {
    ASSERT_NE(s.series, 0u) << "sample of value " << s.value << " lost its series";
  }
  MetricBatch next;  // ids only, as the agent sends next
  for (uint32_t id = 1; id <= 300; ++id) Add(&next, id, 2000, id);
  EXPECT_TRUE(stream.Decode(next, {}, &out).ok());
}

TEST_F(BatchDecoderTest, TooManyDefinitionsInOneBatchAreRefusedBeforeAnyWork) {
  IngestLimits limits;
  limits.max_series_per_stream = 10;
  StreamSeries stream("h", storage_.get(), limits);
  MetricBatch b;
  b.set_sequence(4);
  for (int i = 0; i < 11; ++i) Define(&b, 1, "same");  // identical: one series, 11 definitions
  DecodedBatch out;
  absl::Status s = stream.Decode(b, {}, &out);
  EXPECT_EQ(s.message(),
            "batch 4: 11 series definitions exceeds the limit of 10 series per stream");
}

}  // namespace
}  // namespace rollguard::collector
