// What the spine promises about data: an acknowledged sample survives kill -9
// of the collector, and an agent fills the gap after a collector outage.
#include <gtest/gtest.h>
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "rollguard/v1/admin_service.pb.h"
#include "tests/support/fleet.h"
#include "tests/support/raw_agent.h"

namespace rollguard::testing {
namespace {

using rollguard::v1::AgentMessage;
using rollguard::v1::QueryHistoryResponse;

constexpr int kSamplesPerBatch = 200;

AgentMessage MakeBatch(uint64_t seq, int64_t t0) {
  AgentMessage m;
  auto* b = m.mutable_batch();
  b->set_sequence(seq);
  if (seq == 1) {
    auto* d = b->add_new_series();
    d->set_id(1);
    d->set_metric("load_test");
  }
  for (int i = 0; i < kSamplesPerBatch; ++i) {
    b->add_series_ids(1);
    b->add_timestamps_ms(t0 + static_cast<int64_t>(seq) * kSamplesPerBatch + i);
    b->add_values(static_cast<double>(seq));
  }
  return m;
}

// An agent's memory_usage history once it reaches past `after_ms` + 1 s
// (so what it buffered has arrived), with the largest gap between
// consecutive samples and how many are stamped inside (from_ms, to_ms).
struct Continuity {
  bool arrived = false;
  int inside = 0;
  int64_t max_gap_ms = 0;
};
Continuity HistoryAfterOutage(const std::string& addr, const std::string& host, int64_t from_ms,
                              int64_t to_ms, absl::Duration wait) {
  QueryHistoryResponse hist;
  Continuity c;
  c.arrived = WaitFor(
      [&] {
        hist.Clear();
        return RunCliJson(addr, {"history", host, "memory_usage", "--since", "5m"}, &hist).ok() &&
               hist.series_size() == 1 && hist.series(0).points_size() > 0 &&
               hist.series(0).points(hist.series(0).points_size() - 1).timestamp_ms() >
                   to_ms + 1000;
      },
      wait);
  if (!c.arrived) return c;
  const auto& pts = hist.series(0).points();
  for (int i = 1; i < pts.size(); ++i) {
    c.max_gap_ms = std::max(c.max_gap_ms, pts[i].timestamp_ms() - pts[i - 1].timestamp_ms());
    if (pts[i].timestamp_ms() > from_ms && pts[i].timestamp_ms() < to_ms) ++c.inside;
  }
  return c;
}

TEST(DurabilityTest, KillNineLosesNoAcknowledgedSample) {
  TempDir dir;
  auto collector = CollectorUnderTest::Start(dir.path(), dir.File("data"));
  ASSERT_TRUE(collector.ok()) << collector.status();
  const int64_t t0 = absl::ToUnixMillis(absl::Now() - absl::Minutes(30));

  RawAgentStream stream((*collector)->address());
  ASSERT_TRUE(stream.SendHello("crashy"));
  // Stream batches as fast as the collector takes them; kill it mid-flow.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> sent{0};
  std::thread writer([&] {
    for (uint64_t seq = 1; !stop && seq < 1'000'000; ++seq) {
      if (!stream.Send(MakeBatch(seq, t0))) break;
      sent = seq;
    }
  });
  ASSERT_TRUE(WaitFor([&] { return stream.accepted().size() >= 200; }, absl::Seconds(30)));
  (*collector)->process().Signal(SIGKILL);
  (*collector)->process().Wait(absl::Seconds(5));
  stop = true;
  stream.Close();
  writer.join();
  std::set<uint64_t> acked = stream.accepted();
  ASSERT_GE(acked.size(), 200u);

  auto restarted = CollectorUnderTest::Start(dir.path(), dir.File("data"));
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  QueryHistoryResponse hist;
  absl::Status s = RunCliJson((*restarted)->address(),
                              {"history", "crashy", "load_test", "--since",
                               std::to_string(t0 / 1000 - 1), "--limit", "100000000"},
                              &hist);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(hist.series_size(), 1);
  std::map<uint64_t, int> per_batch;
  for (const auto& p : hist.series(0).points()) ++per_batch[static_cast<uint64_t>(p.value())];
  size_t missing = 0;
  for (uint64_t seq : acked) {
    if (per_batch[seq] != kSamplesPerBatch) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged batches (" << sent.load()
                         << " sent)";
  RecordProperty("acknowledged_samples", static_cast<int>(acked.size() * kSamplesPerBatch));
}

TEST(DurabilityTest, AgentBuffersThroughCollectorOutageAndFillsTheGap) {
  TempDir dir;
  auto first = CollectorUnderTest::Start(dir.path(), dir.File("data"));
  ASSERT_TRUE(first.ok()) << first.status();
  const int port = (*first)->port();
  const std::string addr = (*first)->address();
  auto agent = StartAgent(dir.path(), addr, "bot-1");
  ASSERT_TRUE(agent.ok());
  ASSERT_TRUE(WaitUntilReporting(addr, "bot-1"));

  // Down for 2 s (10 agent intervals of 200 ms), then back on the same port.
  (*first)->process().Signal(SIGKILL);
  (*first)->process().Wait(absl::Seconds(5));
  const int64_t down_at = absl::ToUnixMillis(absl::Now());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto second = CollectorUnderTest::Start(dir.path(), dir.File("data"), port);
  ASSERT_TRUE(second.ok()) << second.status();
  const int64_t up_at = absl::ToUnixMillis(absl::Now());

  // No gap: samples taken while the collector was down arrived afterwards.
  Continuity c = HistoryAfterOutage(addr, "bot-1", down_at, up_at, absl::Seconds(20));
  ASSERT_TRUE(c.arrived) << (*agent)->Log();
  EXPECT_GE(c.inside, 5) << "samples stamped inside the 2 s outage";
  EXPECT_LT(c.max_gap_ms, 1000) << "largest gap between consecutive samples, ms";

  rollguard::v1::ListHostsResponse hosts;
  ASSERT_TRUE(RunCliJson(addr, {"hosts"}, &hosts).ok());
  ASSERT_EQ(hosts.hosts_size(), 1);
  EXPECT_TRUE(hosts.hosts(0).connected());
  EXPECT_EQ(hosts.hosts(0).dropped_samples(), 0u);
}

// The agent's disk spool: what an agent buffered while the collector was
// away survives the agent's own restarts, graceful or kill -9.
TEST(DurabilityTest, AgentRestartedTwiceDuringAnOutageLosesNoSample) {
  TempDir dir;
  auto first = CollectorUnderTest::Start(dir.path(), dir.File("data"));
  ASSERT_TRUE(first.ok()) << first.status();
  const int port = (*first)->port();
  const std::string addr = (*first)->address();
  constexpr int64_t kIntervalMs = 300;
  const std::string extra = "interval: 300ms\n";
  auto agent = StartAgent(dir.path(), addr, "spooler", extra);
  ASSERT_TRUE(agent.ok());
  ASSERT_TRUE(WaitUntilReporting(addr, "spooler"));

  (*first)->process().Signal(SIGKILL);
  (*first)->process().Wait(absl::Seconds(5));
  const int64_t down_at = absl::ToUnixMillis(absl::Now());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  // A graceful restart (a deploy), then a crash (the OOM killer).
  for (int signo : {SIGTERM, SIGKILL}) {
    (*agent)->Signal(signo);
    ASSERT_TRUE((*agent)->Wait(absl::Seconds(10)).has_value());
    agent = StartAgent(dir.path(), addr, "spooler", extra);
    ASSERT_TRUE(agent.ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  }
  EXPECT_NE((*agent)->Log().find("from an earlier run will be sent first"), std::string::npos)
      << (*agent)->Log();
  auto second = CollectorUnderTest::Start(dir.path(), dir.File("data"), port);
  ASSERT_TRUE(second.ok()) << second.status();
  const int64_t up_at = absl::ToUnixMillis(absl::Now());

  Continuity c = HistoryAfterOutage(addr, "spooler", down_at, up_at, absl::Seconds(30));
  ASSERT_TRUE(c.arrived) << (*agent)->Log();
  // 4.5 s of outage at 300 ms, less the two restarts.
  EXPECT_GE(c.inside, 10) << "samples stamped inside the outage";
  // A restart may cost the one sample the stopping agent had not taken yet.
  EXPECT_LT(c.max_gap_ms, 2 * kIntervalMs) << "largest gap between consecutive samples, ms";
  rollguard::v1::ListHostsResponse hosts;
  ASSERT_TRUE(RunCliJson(addr, {"hosts"}, &hosts).ok());
  ASSERT_EQ(hosts.hosts_size(), 1);
  EXPECT_EQ(hosts.hosts(0).dropped_samples(), 0u);
}

TEST(DurabilityTest, AgentDropsOldestWhenItsBufferFillsAndReportsTheCount) {
  TempDir dir;
  // Learn a free port, then leave nothing listening on it for a while.
  int port = 0;
  {
    auto probe = CollectorUnderTest::Start(dir.path(), dir.File("probe-data"));
    ASSERT_TRUE(probe.ok()) << probe.status();
    port = (*probe)->port();
  }
  const std::string addr = absl::StrCat("127.0.0.1:", port);
  const int64_t agent_start = absl::ToUnixMillis(absl::Now());
  // ~6 samples per 200 ms interval: 100 samples hold about 3 s.
  // Memory only, so the bound is 100 samples (the spool's is in bytes).
  auto agent = StartAgent(dir.path(), addr, "tiny", "buffer: {max_samples: 100, spool_dir: off}\n");
  ASSERT_TRUE(agent.ok());
  std::this_thread::sleep_for(std::chrono::seconds(6));
  EXPECT_TRUE((*agent)->running());
  EXPECT_NE((*agent)->Log().find("reconnecting"), std::string::npos) << (*agent)->Log();

  auto collector = CollectorUnderTest::Start(dir.path(), dir.File("data"), port);
  ASSERT_TRUE(collector.ok()) << collector.status();
  rollguard::v1::ListHostsResponse hosts;
  ASSERT_TRUE(WaitFor(
      [&] {
        hosts.Clear();
        return RunCliJson(addr, {"hosts"}, &hosts).ok() && hosts.hosts_size() == 1 &&
               hosts.hosts(0).dropped_samples() > 0;
      },
      absl::Seconds(15)))
      << hosts.DebugString();
  // The oldest samples were the ones dropped: nothing from the first seconds.
  QueryHistoryResponse hist;
  ASSERT_TRUE(RunCliJson(addr, {"history", "tiny", "memory_usage", "--since", "5m"}, &hist).ok());
  ASSERT_EQ(hist.series_size(), 1);
  EXPECT_GT(hist.series(0).points(0).timestamp_ms(), agent_start + 1500);
  // And the drop count is a metric too.
  QueryHistoryResponse dropped;
  ASSERT_TRUE(WaitFor(
      [&] {
        dropped.Clear();
        return RunCliJson(addr, {"history", "tiny", "agent_dropped_samples", "--limit", "1"},
                          &dropped)
                   .ok() &&
               dropped.series(0).points(0).value() > 0;
      },
      absl::Seconds(10)));
}

}  // namespace
}  // namespace rollguard::testing
