// The collector's /metrics: what it reports for a live fleet, that
// `promtool check metrics` accepts it, and that a real Prometheus (Debian's)
// scrapes it and answers a query with the value.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/support/fleet.h"

namespace rollguard::testing {
namespace {

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http_port_ = PickFreeTcpPort();
    auto c = CollectorUnderTest::Start(dir_.path(), dir_.File("data"), 0,
                                       {"--http-listen", absl::StrCat("127.0.0.1:", http_port_)});
    ASSERT_TRUE(c.ok()) << c.status();
    collector_ = std::move(*c);
    auto agent = ChildProcess::Start(
        {BinPath("rollguard-agent"), "--collector", collector_->address(), "--host-id", "metrics-1",
         "--interval", "200ms", "--statsd-listen", "off"},
        dir_.File("agent.log"));
    ASSERT_TRUE(agent.ok());
    agent_ = std::move(*agent);
    ASSERT_TRUE(WaitUntilReporting(collector_->address(), "metrics-1")) << agent_->Log();
  }

  TempDir dir_;
  int http_port_ = 0;
  std::unique_ptr<CollectorUnderTest> collector_;
  std::unique_ptr<ChildProcess> agent_;
};

TEST_F(MetricsTest, ReportsTheFleetInPrometheusFormatThatPromtoolAccepts) {
  std::string page;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto got = HttpGet(http_port_, "/metrics");
        page = got.ok() ? *got : "";
        return page.find("rollguard_samples_ingested_total 0\n") == std::string::npos &&
               page.find("rollguard_agent_streams 1\n") != std::string::npos;
      },
      absl::Seconds(10)))
      << page;
  EXPECT_NE(page.find("rollguard_hosts{state=\"connected\"} 1\n"), std::string::npos) << page;
  EXPECT_NE(page.find("# TYPE rollguard_samples_ingested_total counter\n"), std::string::npos);
  EXPECT_NE(page.find("rollguard_notifications_sent_total{receiver=\"log\",type=\"log\"}"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("rollguard_build_info{version=\""), std::string::npos);
  EXPECT_EQ(HttpGet(http_port_, "/nothing-here").value_or("?").find("rollguard_"),
            std::string::npos);

  if (!std::filesystem::exists("/usr/bin/promtool")) GTEST_SKIP() << "promtool not installed";
  WriteTextFile(dir_.File("page.txt"), page);
  CommandResult check = RunCommand(
      {"/bin/sh", "-c", absl::StrCat("/usr/bin/promtool check metrics < ", dir_.File("page.txt"))});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(check.out + check.err, "") << "promtool has remarks";
}

TEST_F(MetricsTest, ARealPrometheusScrapesItAndAnswersAQuery) {
  if (!std::filesystem::exists("/usr/bin/prometheus")) {
    GTEST_SKIP() << "prometheus not installed (scripts/setup.sh installs it)";
  }
  const int prom_port = PickFreeTcpPort();
  WriteTextFile(dir_.File("prometheus.yml"),
                absl::StrCat("global:\n  scrape_interval: 1s\nscrape_configs:\n"
                             "  - job_name: rollguard\n    static_configs:\n"
                             "      - targets: ['127.0.0.1:",
                             http_port_, "']\n"));
  auto prom =
      ChildProcess::Start({"/usr/bin/prometheus", "--config.file=" + dir_.File("prometheus.yml"),
                           "--storage.tsdb.path=" + dir_.File("tsdb"),
                           absl::StrCat("--web.listen-address=127.0.0.1:", prom_port)},
                          dir_.File("prometheus.log"));
  ASSERT_TRUE(prom.ok());
  std::string answer;
  const bool got = WaitFor(
      [&] {
        auto r = HttpGet(prom_port, "/api/v1/query?query=rollguard_agent_streams");
        answer = r.ok() ? *r : "";
        return answer.find("\"value\":[") != std::string::npos &&
               answer.find(",\"1\"]") != std::string::npos;
      },
      absl::Seconds(30));
  EXPECT_TRUE(got) << answer << "\n" << (*prom)->Log();
  auto up = HttpGet(prom_port, "/api/v1/query?query=up%7Bjob%3D%22rollguard%22%7D");
  ASSERT_TRUE(up.ok());
  EXPECT_NE(up->find(",\"1\"]"), std::string::npos) << *up;  // the scrape itself is healthy
}

// The agent's own /metrics (opt-in, loopback only): its stream, buffer and
// series, in a page promtool accepts.
TEST(AgentMetricsTest, TheAgentServesItsHealthOnLoopbackWhenAsked) {
  TempDir dir;
  auto collector =
      CollectorUnderTest::Start(dir.path(), dir.File("data"), 0, {"--http-listen", "off"});
  ASSERT_TRUE(collector.ok()) << collector.status();
  const int port = PickFreeTcpPort();
  auto agent = StartAgent(dir.path(), (*collector)->address(), "am-1",
                          absl::StrCat("metrics_listen: 127.0.0.1:", port, "\n"));
  ASSERT_TRUE(agent.ok());
  ASSERT_TRUE(WaitUntilReporting((*collector)->address(), "am-1")) << (*agent)->Log();
  std::string page;
  ASSERT_TRUE(WaitFor(
      [&] {
        page = HttpGet(port, "/metrics").value_or("");
        return page.find("rollguard_agent_connected 1\n") != std::string::npos;
      },
      absl::Seconds(10)))
      << page << (*agent)->Log();
  EXPECT_NE(page.find("rollguard_agent_build_info{version=\""), std::string::npos);
  EXPECT_NE(page.find("rollguard_agent_dropped_samples_total 0\n"), std::string::npos) << page;
  EXPECT_NE(page.find("process_resident_memory_bytes "), std::string::npos);
  if (std::filesystem::exists("/usr/bin/promtool")) {
    WriteTextFile(dir.File("page.txt"), page);
    CommandResult check =
        RunCommand({"/bin/sh", "-c",
                    absl::StrCat("/usr/bin/promtool check metrics < ", dir.File("page.txt"))});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    EXPECT_EQ(check.out + check.err, "") << "promtool has remarks";
  }
  // Off loopback it is refused: the page has no authentication.
  CommandResult open = RunCommand({BinPath("rollguard-agent"), "--collector", "127.0.0.1:1",
                                   "--metrics-listen", "0.0.0.0:9781", "--check-config"});
  EXPECT_EQ(open.exit_code, 2);
  EXPECT_NE(open.err.find("metrics_listen: 0.0.0.0:9781 is not a loopback address"),
            std::string::npos)
      << open.err;
}

TEST(MetricsConfigTest, PlaintextMetricsOffLoopbackAreRefused) {
  TempDir dir;
  CommandResult r = RunCommand({BinPath("rollguard-collector"), "--data-dir", dir.File("data"),
                                "--http-listen", "0.0.0.0:7780", "--check-config"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("refusing to serve /metrics in plaintext on 0.0.0.0:7780"),
            std::string::npos)
      << r.err;
  CommandResult off = RunCommand({BinPath("rollguard-collector"), "--data-dir", dir.File("data"),
                                  "--http-listen", "off", "--check-config"});
  EXPECT_EQ(off.exit_code, 0) << off.err;
}

}  // namespace
}  // namespace rollguard::testing
