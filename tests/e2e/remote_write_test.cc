// Remote write to the real thing: Debian's VictoriaMetrics and Prometheus
// (with its remote-write receiver) get every sample the collector stores,
// with its labels, across a restart of the receiver and of the collector.
#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/fleet.h"

namespace rollguard::testing {
namespace {

using Points = std::set<std::pair<std::string, int64_t>>;  // (metric, timestamp ms)

// A receiver process, restartable on the same port and data.
struct Receiver {
  std::string binary;
  std::function<std::vector<std::string>(int port)> argv;
  std::string write_path;
  // The host's points as the receiver has them, and its series' labels.
  std::function<Points(int port, const std::string& host, std::set<std::string>* labels)> read;
};

Points ReadVictoriaMetrics(int port, const std::string& host, std::set<std::string>* labels) {
  Points out;
  (void)HttpGet(port, "/internal/force_flush");
  auto body = HttpGet(port, absl::StrCat("/api/v1/export?match[]=%7Bhost%3D%22", host, "%22%7D"));
  if (!body.ok()) return out;
  for (absl::string_view line : absl::StrSplit(*body, '\n', absl::SkipEmpty())) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    const std::string metric = j["metric"]["__name__"].get<std::string>();
    for (const auto& [k, v] : j["metric"].items()) labels->insert(k + "=" + v.get<std::string>());
    for (const auto& t : j["timestamps"]) out.insert({metric, t.get<int64_t>()});
  }
  return out;
}

Points ReadPrometheus(int port, const std::string& host, std::set<std::string>* labels) {
  Points out;
  auto body =
      HttpGet(port, absl::StrCat("/api/v1/query?query=%7Bhost%3D%22", host, "%22%7D%5B1h%5D"));
  if (!body.ok()) return out;
  auto j = nlohmann::json::parse(*body, nullptr, false);
  if (j.is_discarded() || !j.contains("data")) return out;
  for (const auto& series : j["data"]["result"]) {
    const std::string metric = series["metric"]["__name__"].get<std::string>();
    for (const auto& [k, v] : series["metric"].items()) {
      labels->insert(k + "=" + v.get<std::string>());
    }
    for (const auto& v : series["values"]) {
      out.insert({metric, std::llround(v[0].get<double>() * 1000)});
    }
  }
  return out;
}

Points ReadCollector(const std::string& collector, const std::string& host) {
  Points out;
  CommandResult r = RunCli(collector, {"export", "--since", "1h", "--host", host});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    out.insert({j["metric"].get<std::string>(), j["timestamp_ms"].get<int64_t>()});
  }
  return out;
}

class RemoteWriteTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string which = GetParam();
    if (which == "victoriametrics") {
      receiver_.binary = "/usr/bin/victoria-metrics";
      receiver_.argv = [this](int port) {
        return std::vector<std::string>{receiver_.binary, "-storageDataPath=" + dir_.File("vm"),
                                        absl::StrCat("-httpListenAddr=127.0.0.1:", port)};
      };
      receiver_.write_path = "/api/v1/write";
      receiver_.read = ReadVictoriaMetrics;
    } else {
      receiver_.binary = "/usr/bin/prometheus";
      // Agents buffer and resend after an outage: Prometheus takes such late
      // samples only inside its out-of-order window (docs: remote write).
      WriteTextFile(dir_.File("prometheus.yml"),
                    "storage:\n  tsdb:\n    out_of_order_time_window: 1h\n");
      receiver_.argv = [this](int port) {
        return std::vector<std::string>{
            receiver_.binary, "--config.file=" + dir_.File("prometheus.yml"),
            "--storage.tsdb.path=" + dir_.File("tsdb"), "--web.enable-remote-write-receiver",
            absl::StrCat("--web.listen-address=127.0.0.1:", port)};
      };
      receiver_.write_path = "/api/v1/write";
      receiver_.read = ReadPrometheus;
    }
    if (!std::filesystem::exists(receiver_.binary)) {
      GTEST_SKIP() << receiver_.binary << " not installed (scripts/setup.sh installs it)";
    }
    receiver_port_ = PickFreeTcpPort();
    WriteTextFile(dir_.File("collector.yaml"),
                  absl::StrCat("remote_write:\n  - name: ", which,
                               "\n    url: http://127.0.0.1:", receiver_port_, receiver_.write_path,
                               "\n    min_backoff: 50ms\n    max_backoff: 500ms\n"));
  }

  void StartReceiver() {
    auto p = ChildProcess::Start(receiver_.argv(receiver_port_), dir_.File("receiver.log"));
    ASSERT_TRUE(p.ok());
    receiver_process_ = std::move(*p);
  }
  void StopReceiver() {
    receiver_process_->Signal(SIGTERM);
    ASSERT_TRUE(receiver_process_->Wait(absl::Seconds(20)).has_value());
    receiver_process_.reset();
  }
  void StartCollector(int port) {
    auto c = CollectorUnderTest::Start(dir_.path(), dir_.File("data"), port,
                                       {"--config", dir_.File("collector.yaml"), "--http-listen",
                                        absl::StrCat("127.0.0.1:", http_port_)});
    ASSERT_TRUE(c.ok()) << c.status();
    collector_ = std::move(*c);
  }
  void StopCollector() {
    collector_->process().Signal(SIGTERM);
    ASSERT_TRUE(collector_->process().Wait(absl::Seconds(20)).has_value());
  }
  std::string Metric(const std::string& name) {
    auto page = HttpGet(http_port_, "/metrics");
    if (!page.ok()) return "";
    std::string prefix = name + "{remote=\"" + GetParam() + "\"} ";
    size_t at = page->find(prefix);
    if (at == std::string::npos) return "";
    at += prefix.size();
    return page->substr(at, page->find('\n', at) - at);
  }
  static void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

  TempDir dir_;
  Receiver receiver_;
  int receiver_port_ = 0;
  int http_port_ = PickFreeTcpPort();
  std::unique_ptr<ChildProcess> receiver_process_;
  std::unique_ptr<CollectorUnderTest> collector_;
};

TEST_P(RemoteWriteTest, EverySampleArrivesWithItsLabelsAcrossRestartsOfEachSide) {
  StartReceiver();
  StartCollector(0);
  const int port = collector_->port();
  auto agent = StartAgent(dir_.path(), collector_->address(), "rw-1");
  ASSERT_TRUE(agent.ok());
  ASSERT_TRUE(WaitUntilReporting(collector_->address(), "rw-1"));
  ASSERT_TRUE(WaitFor(
      [&] {
        return Metric("rollguard_remote_write_samples_sent_total") != "0" &&
               !Metric("rollguard_remote_write_samples_sent_total").empty();
      },
      absl::Seconds(20)))
      << collector_->process().Log();

  // The receiver goes away: the collector keeps storing, its log keeps the rest.
  StopReceiver();
  SleepMs(1500);
  ASSERT_TRUE(WaitFor([&] { return Metric("rollguard_remote_write_requests_failed_total") != "0"; },
                      absl::Seconds(10)));
  // The collector restarts while the receiver is still away.
  StopCollector();
  StartCollector(port);
  ASSERT_TRUE(WaitUntilReporting(collector_->address(), "rw-1")) << (*agent)->Log();
  SleepMs(1000);
  StartReceiver();
  SleepMs(1000);
  // The history stops moving, then everything must have arrived.
  (*agent)->Signal(SIGTERM);
  ASSERT_TRUE((*agent)->Wait(absl::Seconds(10)).has_value());
  ASSERT_TRUE(WaitFor([&] { return Metric("rollguard_remote_write_pending_batches") == "0"; },
                      absl::Seconds(30)))
      << collector_->process().Log();

  const Points stored = ReadCollector(collector_->address(), "rw-1");
  ASSERT_GT(stored.size(), 50u);
  std::set<std::string> labels;
  Points received;
  // VictoriaMetrics makes fresh rows searchable after a moment.
  WaitFor(
      [&] {
        labels.clear();
        received = receiver_.read(receiver_port_, "rw-1", &labels);
        return received.size() >= stored.size();
      },
      absl::Seconds(30));
  std::vector<std::pair<std::string, int64_t>> missing;
  for (const auto& p : stored) {
    if (!received.count(p)) missing.push_back(p);
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " of " << stored.size()
                               << " stored samples never arrived, e.g. " << missing[0].first
                               << " at " << missing[0].second << "\n"
                               << collector_->process().Log();
  EXPECT_TRUE(labels.count("host=rw-1"));
  EXPECT_TRUE(labels.count("__name__=memory_usage"));
  EXPECT_EQ(Metric("rollguard_remote_write_samples_dropped_total"), "");  // has a reason label
  auto page = HttpGet(http_port_, "/metrics");
  ASSERT_TRUE(page.ok());
  EXPECT_NE(page->find(absl::StrCat("rollguard_remote_write_samples_dropped_total{remote=\"",
                                    GetParam(), "\",reason=\"too_old\"} 0")),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Receivers, RemoteWriteTest,
                         ::testing::Values("victoriametrics", "prometheus"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace rollguard::testing
