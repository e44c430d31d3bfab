// rollguard export against a live collector: every point, oldest first per
// series, in each format, and the same points `history` shows.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "rollguard/v1/admin_service.pb.h"
#include "tests/support/fleet.h"

namespace rollguard::testing {
namespace {

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = CollectorUnderTest::Start(dir_.path(), dir_.File("data"), 0, {"--http-listen", "off"});
    ASSERT_TRUE(c.ok()) << c.status();
    collector_ = std::move(*c);
    for (const char* host : {"ex-1", "ex-2"}) {
      auto agent =
          ChildProcess::Start({BinPath("rollguard-agent"), "--collector", collector_->address(),
                               "--host-id", host, "--interval", "100ms", "--statsd-listen", "off"},
                              dir_.File(std::string(host) + ".log"));
      ASSERT_TRUE(agent.ok());
      agents_.push_back(std::move(*agent));
      ASSERT_TRUE(WaitUntilReporting(collector_->address(), host));
    }
    // Both stop, so the history no longer moves while it is compared.
    SleepMs(500);
    for (auto& a : agents_) {
      a->Signal(SIGTERM);
      a->Wait(absl::Seconds(10));
    }
  }
  static void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

  TempDir dir_;
  std::unique_ptr<CollectorUnderTest> collector_;
  std::vector<std::unique_ptr<ChildProcess>> agents_;
};

TEST_F(ExportTest, JsonLinesHoldEveryPointOfEverySeriesOldestFirst) {
  CommandResult r = RunCli(collector_->address(), {"export", "--since", "1h"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::vector<int64_t>> times;  // host/metric -> timestamps
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    ASSERT_TRUE(j.contains("time") && j.contains("value") && j.contains("labels")) << line;
    times[j["host"].get<std::string>() + "/" + j["metric"].get<std::string>()].push_back(
        j["timestamp_ms"].get<int64_t>());
  }
  ASSERT_TRUE(times.count("ex-1/memory_usage") && times.count("ex-2/memory_usage")) << r.out;
  for (const auto& [series, ts] : times) {
    EXPECT_TRUE(std::is_sorted(ts.begin(), ts.end())) << series;
  }
  // The same points `history` has for that series.
  rollguard::v1::QueryHistoryResponse history;
  ASSERT_TRUE(RunCliJson(collector_->address(),
                         {"history", "ex-1", "memory_usage", "--since", "1h"}, &history)
                  .ok());
  ASSERT_EQ(history.series_size(), 1);
  EXPECT_EQ(static_cast<size_t>(history.series(0).points_size()),
            times["ex-1/memory_usage"].size());
  EXPECT_NE(r.err.find("exported "), std::string::npos) << r.err;

  // Walked in pages of 7 points (back from the newest), the same lines.
  CommandResult paged =
      RunCli(collector_->address(), {"export", "--since", "1h", "--page-points", "7"});
  ASSERT_EQ(paged.exit_code, 0) << paged.err;
  EXPECT_EQ(paged.out, r.out);
}

TEST_F(ExportTest, CsvAndPrometheusFormatsOneHostOneMetric) {
  CommandResult csv = RunCli(collector_->address(), {"export", "--since", "1h", "--host", "ex-2",
                                                     "--metric", "cpu_usage", "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  std::vector<std::string> lines = absl::StrSplit(csv.out, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0], "time,timestamp_ms,host,metric,labels,value");
  for (size_t i = 1; i < lines.size(); ++i) {
    EXPECT_TRUE(absl::StrContains(lines[i], ",ex-2,cpu_usage,,")) << lines[i];
  }
  CommandResult prom =
      RunCli(collector_->address(), {"export", "--since", "1h", "--host", "ex-1", "--metric",
                                     "memory_usage", "--format", "prometheus"});
  ASSERT_EQ(prom.exit_code, 0) << prom.err;
  std::vector<std::string> samples = absl::StrSplit(prom.out, '\n', absl::SkipEmpty());
  ASSERT_FALSE(samples.empty());
  for (const std::string& s : samples) {
    std::vector<std::string> parts = absl::StrSplit(s, ' ');
    ASSERT_EQ(parts.size(), 3u) << s;  // series value timestamp
    EXPECT_EQ(parts[0], "memory_usage{host=\"ex-1\"}");
  }
  CommandResult ghost = RunCli(collector_->address(), {"export", "--host", "ghost"});
  EXPECT_EQ(ghost.exit_code, 1);
  EXPECT_NE(ghost.err.find("unknown host 'ghost'"), std::string::npos) << ghost.err;
}

}  // namespace
}  // namespace rollguard::testing
