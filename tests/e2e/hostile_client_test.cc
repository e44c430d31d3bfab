// A hostile (or broken) agent against a real collector: each attack is
// refused with a reason, the collector's memory stays bounded, and an honest
// agent's stream keeps flowing with all its samples stored.
#include <gtest/gtest.h>

#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rollguard/v1/admin_service.pb.h"
#include "tests/support/fleet.h"
#include "tests/support/raw_agent.h"

namespace rollguard::testing {
namespace {

using rollguard::v1::AgentMessage;

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

// The collector's resident memory, from /proc.
int64_t RssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      int64_t kb = 0;
      std::string digits;
      for (char c : line) {
        if (c >= '0' && c <= '9') digits += c;
      }
      return absl::SimpleAtoi(digits, &kb) ? kb : -1;
    }
  }
  return -1;
}

AgentMessage Batch(uint64_t seq, uint32_t id, const std::string& metric,
                   std::vector<std::pair<int64_t, double>> points) {
  AgentMessage m;
  auto* b = m.mutable_batch();
  b->set_sequence(seq);
  auto* d = b->add_new_series();
  d->set_id(id);
  d->set_metric(metric);
  for (auto [t, v] : points) {
    b->add_series_ids(id);
    b->add_timestamps_ms(t);
    b->add_values(v);
  }
  return m;
}

class HostileClientTest : public ::testing::Test {
 protected:
  void StartCollector(const std::string& yaml = "") {
    std::vector<std::string> args;
    if (!yaml.empty()) {
      WriteTextFile(dir_.File("collector.yaml"), yaml);
      args = {"--config", dir_.File("collector.yaml")};
    }
    auto c = CollectorUnderTest::Start(dir_.path(), dir_.File("data"), 0, args);
    ASSERT_TRUE(c.ok()) << c.status();
    collector_ = std::move(*c);
  }
  // An honest agent sends one sample now and expects it stored.
  void ExpectHonestAgentFlows(const std::string& host, int64_t value) {
    RawAgentStream honest(collector_->address());
    ASSERT_TRUE(honest.SendHello(host));
    ASSERT_TRUE(honest.Send(Batch(1, 1, "cpu_usage", {{NowMs(), static_cast<double>(value)}})));
    ASSERT_TRUE(WaitFor([&] { return honest.accepted().count(1) == 1; }, absl::Seconds(10)))
        << "the honest agent's batch was not acknowledged";
    rollguard::v1::QueryHistoryResponse hist;
    ASSERT_TRUE(RunCliJson(collector_->address(), {"history", host, "cpu_usage"}, &hist).ok());
    ASSERT_EQ(hist.series_size(), 1);
    EXPECT_EQ(hist.series(0).points(hist.series(0).points_size() - 1).value(), value);
  }
  TempDir dir_;
  std::unique_ptr<CollectorUnderTest> collector_;
};

// A sample a year ahead would pin an alert's newest sample and outlive
// retention: it is left out, the ack says why, the host's record counts it.
TEST_F(HostileClientTest, SamplesFromTheFutureOrBeyondRetentionAreRefusedPerSample) {
  StartCollector();
  RawAgentStream s(collector_->address());
  ASSERT_TRUE(s.SendHello("bot-1"));
  const int64_t now = NowMs();
  const int64_t year = 365LL * 24 * 3600 * 1000;
  ASSERT_TRUE(s.Send(Batch(1, 1, "error_rate", {{now, 1}, {now + year, 2}, {now - 2 * year, 3}})));
  ASSERT_TRUE(WaitFor([&] { return s.acks().count(1) == 1; }, absl::Seconds(10)));
  const auto ack = s.acks().at(1);
  EXPECT_TRUE(ack.accepted());
  EXPECT_EQ(ack.samples_stored(), 1u);
  EXPECT_EQ(ack.samples_refused(), 2u);
  EXPECT_NE(ack.refused_reason().find("ahead of the collector's clock (max_future 5m)"),
            std::string::npos)
      << ack.refused_reason();

  rollguard::v1::QueryHistoryResponse hist;
  ASSERT_TRUE(RunCliJson(collector_->address(),
                         {"history", "bot-1", "error_rate", "--since", "1000d"}, &hist)
                  .ok());
  ASSERT_EQ(hist.series_size(), 1);
  ASSERT_EQ(hist.series(0).points_size(), 1);
  EXPECT_EQ(hist.series(0).points(0).value(), 1);

  rollguard::v1::ListHostsResponse hosts;
  ASSERT_TRUE(RunCliJson(collector_->address(), {"hosts"}, &hosts).ok());
  ASSERT_EQ(hosts.hosts_size(), 1);
  EXPECT_EQ(hosts.hosts(0).samples_refused(), 2u);
  EXPECT_EQ(hosts.hosts(0).last_refused_reason(), ack.refused_reason());
}

// Each stream defining the largest series id used to grow two per-stream
// vectors to ~12 MB; 40 such streams took ~500 MB. Now each costs one entry.
TEST_F(HostileClientTest, HugeSeriesIdsDoNotGrowTheCollector) {
  StartCollector();
  ExpectHonestAgentFlows("honest-0", 1);
  const int64_t before = RssKb(collector_->process().pid());
  ASSERT_GT(before, 0);
  std::vector<std::unique_ptr<RawAgentStream>> streams;
  for (int i = 0; i < 40; ++i) {
    auto s = std::make_unique<RawAgentStream>(collector_->address());
    ASSERT_TRUE(s->SendHello(absl::StrCat("big-", i)));
    ASSERT_TRUE(s->Send(Batch(1, 1'048'575, "m", {{NowMs(), 1}})));
    streams.push_back(std::move(s));
  }
  for (auto& s : streams) {
    ASSERT_TRUE(WaitFor([&] { return s->acks().count(1) == 1; }, absl::Seconds(20)));
  }
  const int64_t after = RssKb(collector_->process().pid());
  EXPECT_LT(after - before, 64 * 1024)
      << "collector RSS grew from " << before << " kB to " << after << " kB";
  ExpectHonestAgentFlows("honest-1", 2);
}

// A NUL inside a host id or a label value could make one host's series read
// as another's; both are refused before anything is stored.
TEST_F(HostileClientTest, ControlCharactersInHostIdsAndLabelsAreRefused) {
  StartCollector();
  {
    RawAgentStream s(collector_->address());
    ASSERT_TRUE(s.SendHello(std::string("bot-1\0host=bot-2", 16)));
    grpc::Status st = s.Close();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(st.error_message(), "hello: host_id contains a control character");
  }
  RawAgentStream s(collector_->address());
  ASSERT_TRUE(s.SendHello("bot-1"));
  AgentMessage m = Batch(1, 1, "queue_depth", {{NowMs(), 1}});
  (*m.mutable_batch()->mutable_new_series(0)->mutable_labels())["queue"] =
      std::string("mcp\0host=bot-2", 14);
  ASSERT_TRUE(s.Send(m));
  ASSERT_TRUE(WaitFor([&] { return s.rejected().count(1) == 1; }, absl::Seconds(10)));
  EXPECT_EQ(s.rejected().at(1),
            "batch 1: series 1 (queue_depth): label 'queue' value contains a control character");
  rollguard::v1::ListHostsResponse hosts;
  ASSERT_TRUE(RunCliJson(collector_->address(), {"hosts"}, &hosts).ok());
  ASSERT_EQ(hosts.hosts_size(), 1);  // no host named after the NUL trick
  ExpectHonestAgentFlows("honest", 3);
}

// Past max_streams a new stream is refused at once, with the reason; the
// streams already open keep working. (Streams are opened one at a time and
// each waits for its hello ack, so which one is over the limit is certain.)
TEST_F(HostileClientTest, StreamsOverTheLimitAreRefused) {
  StartCollector("ingest:\n  max_streams: 3\n");
  std::vector<std::unique_ptr<RawAgentStream>> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(std::make_unique<RawAgentStream>(collector_->address()));
    ASSERT_TRUE(open.back()->SendHello(absl::StrCat("held-", i)));
    ASSERT_TRUE(WaitFor([&] { return open.back()->hello_acked(); }, absl::Seconds(10)));
  }
  RawAgentStream fourth(collector_->address());
  fourth.SendHello("fourth");
  grpc::Status refused = fourth.Close();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(refused.error_message(),
            "the collector has 3 agent streams open (max_streams); retry later");
  ASSERT_TRUE(open[0]->Send(Batch(1, 1, "cpu_usage", {{NowMs(), 4}})));
  EXPECT_TRUE(WaitFor([&] { return open[0]->accepted().count(1) == 1; }, absl::Seconds(10)));
}

// An agent that never reads its acknowledgements is cut off once
// max_queued_writes of them wait, instead of being buffered for forever.
TEST_F(HostileClientTest, AnAgentThatNeverReadsIsCutOff) {
  StartCollector("ingest:\n  max_queued_writes: 16\n");
  RawAgentStream deaf(collector_->address(), nullptr, /*read=*/false);
  ASSERT_TRUE(deaf.SendHello("deaf"));
  bool cut_off = false;
  const int64_t now = NowMs();
  for (uint64_t seq = 1; seq <= 200000 && !cut_off; ++seq) {
    cut_off = !deaf.Send(Batch(seq, 1, "m", {{now, static_cast<double>(seq)}}));
  }
  EXPECT_TRUE(cut_off) << "the collector kept buffering for an agent that never reads";
  EXPECT_EQ(deaf.Close().error_code(), grpc::StatusCode::CANCELLED);
  ExpectHonestAgentFlows("honest", 5);
}

// A connection that never says hello used to hold its stream slot for as long
// as it stayed up. Now it is ended after hello_timeout, and the slot is free.
TEST_F(HostileClientTest, AStreamThatNeverSaysHelloIsEnded) {
  StartCollector("ingest:\n  max_streams: 1\n  hello_timeout: 1s\n");
  RawAgentStream silent(collector_->address());
  ASSERT_TRUE(WaitFor([&] { return silent.ended(); }, absl::Seconds(10)))
      << "a stream that never said hello was kept open";
  grpc::Status st = silent.Close();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(st.error_message(), "no hello within 1s of connecting (ingest.hello_timeout)");
  // The only slot is free again (the collector counts the stream closed a
  // moment after the client sees its end, hence the retry).
  bool flowed = false;
  for (int attempt = 0; attempt < 50 && !flowed; ++attempt) {
    RawAgentStream honest(collector_->address());
    flowed = honest.SendHello("honest") &&
             WaitFor([&] { return honest.hello_acked() || honest.ended(); }, absl::Seconds(5)) &&
             honest.hello_acked();
    if (!flowed) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(flowed) << "the silent stream's slot never came free";
}

// One host id may hold a few streams (reconnects racing teardown), not every
// slot: past max_streams_per_host its new streams are refused, and other
// hosts are not.
TEST_F(HostileClientTest, StreamsPerHostAreBounded) {
  StartCollector("ingest:\n  max_streams_per_host: 2\n");
  std::vector<std::unique_ptr<RawAgentStream>> twins;
  for (int i = 0; i < 2; ++i) {
    twins.push_back(std::make_unique<RawAgentStream>(collector_->address()));
    ASSERT_TRUE(twins.back()->SendHello("twin"));
    ASSERT_TRUE(WaitFor([&] { return twins.back()->hello_acked(); }, absl::Seconds(10)));
  }
  RawAgentStream third(collector_->address());
  third.SendHello("twin");
  grpc::Status refused = third.Close();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(refused.error_message(),
            "host 'twin' already has 2 agent streams open (ingest.max_streams_per_host is 2): "
            "is another agent using this host id?");
  ExpectHonestAgentFlows("other", 7);
}

// Series a host may define are counted over all its streams: reconnecting
// with fresh series ids does not get past max_series_per_host. The new
// series are refused one by one; the host's known series keep flowing in the
// same batches (refusing whole batches would black the host out).
TEST_F(HostileClientTest, SeriesPerHostAreBoundedAcrossStreams) {
  StartCollector("ingest:\n  max_series_per_host: 3\n");
  auto define = [](uint64_t seq, std::vector<std::string> metrics) {
    AgentMessage m;
    auto* b = m.mutable_batch();
    b->set_sequence(seq);
    for (size_t i = 0; i < metrics.size(); ++i) {
      auto* d = b->add_new_series();
      d->set_id(static_cast<uint32_t>(i + 1));
      d->set_metric(metrics[i]);
      b->add_series_ids(d->id());
      b->add_timestamps_ms(NowMs());
      b->add_values(1);
    }
    return m;
  };
  for (int round = 0; round < 2; ++round) {
    RawAgentStream s(collector_->address());
    ASSERT_TRUE(s.SendHello("churn"));
    ASSERT_TRUE(s.Send(define(1, {"a", "b", "c"})));
    ASSERT_TRUE(s.Send(define(2, {"a", "b", "c", absl::StrCat("new_", round)})));
    ASSERT_TRUE(WaitFor([&] { return s.acks().size() == 2; }, absl::Seconds(10)));
    EXPECT_EQ(s.accepted().count(1), 1u) << "round " << round << ": known series refused";
    ASSERT_EQ(s.accepted().count(2), 1u) << "round " << round;
    const auto ack = s.acks().at(2);
    EXPECT_EQ(ack.samples_stored(), 3u) << "round " << round;
    EXPECT_EQ(ack.samples_refused(), 1u) << "round " << round;
    EXPECT_EQ(ack.refused_reason(),
              "batch 2: 1 new series refused: host 'churn' has 3 series, its limit is 3 "
              "(ingest.max_series_per_host)");
  }
  rollguard::v1::QueryHistoryResponse hist;
  EXPECT_FALSE(RunCliJson(collector_->address(), {"history", "churn", "new_0"}, &hist).ok())
      << "a refused series was stored";
  ASSERT_TRUE(RunCliJson(collector_->address(), {"history", "churn", "a"}, &hist).ok());
  ASSERT_EQ(hist.series_size(), 1);
  EXPECT_GE(hist.series(0).points_size(), 1) << "the known series went in";
  ExpectHonestAgentFlows("other", 8);
}

}  // namespace
}  // namespace rollguard::testing
