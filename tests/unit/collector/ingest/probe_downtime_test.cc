#include "collector/ingest/probe_downtime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "collector/ingest/turnstile.h"
#include "collector/ingest/work_pool.h"
#include "tests/fakes/memory_storage.h"

namespace rollguard::collector {
namespace {

class ProbeDowntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    probe_.probe_up = storage_.Intern({"probe_up", {{"host", "bot-1"}, {"probe", "mcp"}}});
    probe_.downtime = storage_.Intern({"mcp_downtime", {{"host", "bot-1"}}});
  }
  // Feeds probe_up samples through `d` and stores everything, as the stream's
  // storage job does; returns the derived downtime values.
  std::vector<double> Feed(ProbeDowntime* d, std::vector<std::pair<int64_t, double>> ups) {
    std::vector<StoredSample> samples;
    for (auto [t, v] : ups) samples.push_back({probe_.probe_up, t, v});
    d->Track({&probe_, 1});
    d->Derive(&samples);
    EXPECT_TRUE(storage_.Append(samples).ok());
    std::vector<double> downtime;
    for (const auto& s : samples) {
      if (s.series == probe_.downtime) downtime.push_back(s.value);
    }
    return downtime;
  }
  rollguard::testing::MemoryStorage storage_;
  ProbeSeries probe_;
};

TEST_F(ProbeDowntimeTest, DowntimeCountsFromTheLastUpAndSurvivesAReconnect) {
  ProbeDowntime stream(&storage_);
  // Up at 0 and 10 s, down at 20 and 30 s (last seen up at 10 s), up at 40 s.
  EXPECT_EQ(Feed(&stream, {{0, 1}, {10000, 1}, {20000, 0}, {30000, 0}, {40000, 1}}),
            (std::vector<double>{0, 0, 10, 20, 0}));
  EXPECT_EQ(Feed(&stream, {{50000, 0}, {60000, 0}}), (std::vector<double>{10, 20}));
  // A new stream (agent reconnect, or collector restart) continues the outage
  // from the stored downtime series.
  ProbeDowntime again(&storage_);
  EXPECT_EQ(Feed(&again, {{70000, 0}}), (std::vector<double>{30}));
  // A resent old sample derives nothing.
  EXPECT_TRUE(Feed(&again, {{65000, 0}}).empty());
}

TEST_F(ProbeDowntimeTest, NeverUpCountsFromTheFirstDownSample) {
  ProbeDowntime stream(&storage_);
  EXPECT_EQ(Feed(&stream, {{1000, 0}, {4000, 0}}), (std::vector<double>{0, 3}));
}

TEST_F(ProbeDowntimeTest, OtherSeriesDeriveNothing) {
  ProbeDowntime stream(&storage_);
  stream.Track({&probe_, 1});
  SeriesId cpu = storage_.Intern({"cpu_usage", {{"host", "bot-1"}}});
  std::vector<StoredSample> samples{{cpu, 1000, 0}};
  stream.Derive(&samples);
  EXPECT_EQ(samples.size(), 1u);
}

// The guarantee the stream's storage jobs rely on: whatever worker runs them,
// sections pass in ticket order.
TEST(TurnstileTest, SectionsPassInTicketOrderAcrossPoolWorkers) {
  WorkPool pool(4);
  Turnstile order;
  std::vector<uint64_t> seen;  // written only inside sections
  std::atomic<int> done{0};
  constexpr int kJobs = 2000;
  for (int i = 0; i < kJobs; ++i) {
    uint64_t ticket = order.Take();
    pool.Submit([&, ticket] {
      if (ticket % 7 == 0) std::this_thread::yield();  // let later jobs race ahead
      order.Pass(ticket, [&] { seen.push_back(ticket); });
      ++done;
    });
  }
  pool.Stop();
  ASSERT_EQ(done.load(), kJobs);
  for (int i = 0; i < kJobs; ++i) ASSERT_EQ(seen[static_cast<size_t>(i)], static_cast<uint64_t>(i));
}

}  // namespace
}  // namespace rollguard::collector
