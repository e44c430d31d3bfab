// Agent sources end to end: StatsD datagrams from a separate process become
// the runbook's performance summary in the collector's history, and the MCP
// probe follows a fake MCP server through healthy, error, down and slow, with
// mcp_downtime rising while it is down.
#include <gtest/gtest.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "rollguard/v1/admin_service.pb.h"
#include "tests/support/fleet.h"

namespace rollguard::testing {
namespace {

// The newest value of one series, through the CLI as a user would read it.
std::optional<double> Latest(const std::string& addr, const std::string& host,
                             const std::string& metric, const std::string& label = "") {
  rollguard::v1::QueryHistoryResponse resp;
  std::vector<std::string> args = {"history", host, metric, "--since", "10m", "--limit", "1"};
  if (!label.empty()) {
    args.push_back("--label");
    args.push_back(label);
  }
  if (!RunCliJson(addr, args, &resp).ok()) return std::nullopt;
  // With no label filter, take the series with only the host label.
  for (const auto& s : resp.series()) {
    if ((label.empty() && s.labels_size() != 1) || s.points_size() == 0) continue;
    return s.points(0).value();
  }
  return std::nullopt;
}

bool Eventually(const std::function<bool()>& f) { return WaitFor(f, absl::Seconds(15)); }

TEST(SourcesTest, StatsdFromAnotherProcessBecomesTheRunbooksSummary) {
  TempDir dir;
  auto collector = CollectorUnderTest::Start(dir.path(), dir.File("data"));
  ASSERT_TRUE(collector.ok()) << collector.status();
  const std::string addr = (*collector)->address();
  const int statsd_port = PickFreeUdpPort();
  auto agent = StartAgent(dir.path(), addr, "bot-1",
                          absl::StrCat("statsd:\n  listen: 127.0.0.1:", statsd_port, "\n"));
  ASSERT_TRUE(agent.ok());
  ASSERT_TRUE(
      Eventually([&] { return (*agent)->Log().find("statsd: listening") != std::string::npos; }));

  // 10 create_channels at 100 ms, 10 mlb_scores at 300 ms, 5 errors, 3 bad lines.
  std::string lines;
  for (int i = 0; i < 10; ++i) lines += "sportsbot.response_time:100|ms|#op:create_channels\n";
  for (int i = 0; i < 10; ++i) lines += "sportsbot.response_time:300|ms|#op:mlb_scores\n";
  for (int i = 0; i < 5; ++i) lines += "sportsbot.errors:1|c|#op:create_channels,type:timeout\n";
  lines += "sportsbot.response_time:abc|ms\nnot a statsd line\nsportsbot.errors:1|zz\n";
  WriteTextFile(dir.File("lines.txt"), lines);
  CommandResult sent = RunCommand({BinPath("rollguard-statsd-load"), "--target",
                                   absl::StrCat("127.0.0.1:", statsd_port), "--file",
                                   dir.File("lines.txt"), "--lines-per-datagram", "7"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;

  ASSERT_TRUE(Eventually([&] { return Latest(addr, "bot-1", "total_operations") == 20.0; }))
      << (*agent)->Log();
  EXPECT_DOUBLE_EQ(*Latest(addr, "bot-1", "avg_response_time"), 0.2);
  EXPECT_DOUBLE_EQ(*Latest(addr, "bot-1", "max_response_time"), 0.3);
  EXPECT_DOUBLE_EQ(*Latest(addr, "bot-1", "error_rate"), 25.0);  // 5 / 20 * 100
  EXPECT_DOUBLE_EQ(*Latest(addr, "bot-1", "total_errors"), 5.0);
  EXPECT_DOUBLE_EQ(*Latest(addr, "bot-1", "error_rate", "op=create_channels"), 50.0);
  EXPECT_DOUBLE_EQ(*Latest(addr, "bot-1", "avg_response_time", "op=mlb_scores"), 0.3);
  EXPECT_NEAR(*Latest(addr, "bot-1", "response_time_p95"), 0.3, 0.006);
  EXPECT_DOUBLE_EQ(*Latest(addr, "bot-1", "agent_statsd_bad_lines"), 3.0);
  EXPECT_DOUBLE_EQ(*Latest(addr, "bot-1", "agent_statsd_socket_drops"), 0.0);
  // Each bad line is named in the agent's log (rate-limited, so at least one).
  EXPECT_NE((*agent)->Log().find("statsd: bad line"), std::string::npos);
}

// The three lines the README gives a Python bot, taken from the README itself,
// run by a real python3 against a real agent.
TEST(SourcesTest, ThePythonLinesInTheReadmeWork) {
  std::string readme = ReadTextFile(SourcePath("README.md"));
  size_t marker = readme.find("<!-- statsd-snippet");
  ASSERT_NE(marker, std::string::npos);
  size_t begin = readme.find("```python\n", marker) + 10;
  size_t end = readme.find("```", begin);
  std::vector<std::string> lines =
      absl::StrSplit(readme.substr(begin, end - begin), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);

  TempDir dir;
  auto collector = CollectorUnderTest::Start(dir.path(), dir.File("data"));
  ASSERT_TRUE(collector.ok()) << collector.status();
  const std::string addr = (*collector)->address();
  const int port = PickFreeUdpPort();
  auto agent = StartAgent(dir.path(), addr, "pybot",
                          absl::StrCat("statsd:\n  listen: 127.0.0.1:", port, "\n"));
  ASSERT_TRUE(agent.ok());
  ASSERT_TRUE(
      Eventually([&] { return (*agent)->Log().find("statsd: listening") != std::string::npos; }));
  std::string script =
      absl::StrCat(lines[0], "\n",
                   "for op, elapsed_ms in [('create_channels', 120), ('create_channels', 380), "
                   "('mlb_scores', 200)]:\n"
                   "    ",
                   lines[1], "\n", "op, exc = 'create_channels', TimeoutError()\n", lines[2], "\n");
  script = absl::StrReplaceAll(script, {{"8125", std::to_string(port)}});
  WriteTextFile(dir.File("bot.py"), script);
  CommandResult py = RunCommand({"/usr/bin/python3", dir.File("bot.py")});
  ASSERT_EQ(py.exit_code, 0) << py.err << script;

  ASSERT_TRUE(Eventually([&] { return Latest(addr, "pybot", "total_operations") == 3.0; }));
  EXPECT_DOUBLE_EQ(*Latest(addr, "pybot", "avg_response_time", "op=create_channels"), 0.25);
  EXPECT_NEAR(*Latest(addr, "pybot", "error_rate"), 100.0 / 3, 1e-9);
  EXPECT_DOUBLE_EQ(*Latest(addr, "pybot", "total_errors", "type=TimeoutError"), 1.0);
}

TEST(SourcesTest, McpProbeFollowsTheServerAndDowntimeRises) {
  TempDir dir;
  int mcp_port = 0;
  auto mcp = StartFakeMcp(dir.path(), &mcp_port);
  ASSERT_TRUE(mcp.ok()) << mcp.status();
  auto collector = CollectorUnderTest::Start(dir.path(), dir.File("data"));
  ASSERT_TRUE(collector.ok()) << collector.status();
  const std::string addr = (*collector)->address();
  auto agent = StartAgent(dir.path(), addr, "bot-1",
                          absl::StrCat("probes:\n"
                                       "  - name: mcp\n    kind: mcp\n"
                                       "    url: http://127.0.0.1:",
                                       mcp_port, "/mcp\n",
                                       "    interval: 200ms\n    timeout: 500ms\n"
                                       "  - name: discord\n    kind: discord\n"
                                       "    url: http://127.0.0.1:",
                                       mcp_port, "/gateway\n", "    interval: 200ms\n"));
  ASSERT_TRUE(agent.ok());
  auto mode = [&](const std::string& m) {
    auto r = HttpGet(mcp_port, "/control?mode=" + m);
    ASSERT_TRUE(r.ok()) << r.status();
  };
  auto probe = [&](const std::string& metric) {
    return Latest(addr, "bot-1", metric, "probe=mcp");
  };

  ASSERT_TRUE(Eventually([&] { return probe("probe_up") == 1.0; })) << (*agent)->Log();
  EXPECT_EQ(probe("probe_status_code"), 200.0);
  EXPECT_EQ(Latest(addr, "bot-1", "probe_up", "probe=discord"), 1.0);
  EXPECT_EQ(Latest(addr, "bot-1", "mcp_downtime"), 0.0);

  // HTTP 200 carrying a JSON-RPC error is down.
  mode("error");
  ASSERT_TRUE(Eventually([&] { return probe("probe_up") == 0.0; }));
  EXPECT_EQ(probe("probe_status_code"), 200.0);

  mode("down");
  ASSERT_TRUE(Eventually([&] { return probe("probe_status_code") == 503.0; }));
  // Downtime keeps rising while it stays down.
  ASSERT_TRUE(Eventually([&] { return Latest(addr, "bot-1", "mcp_downtime") >= 2.0; }));
  double d1 = *Latest(addr, "bot-1", "mcp_downtime");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_GT(*Latest(addr, "bot-1", "mcp_downtime"), d1 + 0.5);

  // Slower than the probe's timeout: down, with no HTTP status at all.
  mode("slow");
  ASSERT_TRUE(Eventually([&] { return probe("probe_status_code") == 0.0; }));
  EXPECT_EQ(probe("probe_up"), 0.0);
  EXPECT_GE(*probe("probe_response_time_ms"), 450.0);

  // Streamable-HTTP answers (server-sent events) count as up; downtime resets.
  mode("sse");
  ASSERT_TRUE(Eventually([&] { return probe("probe_up") == 1.0; }));
  ASSERT_TRUE(Eventually([&] { return Latest(addr, "bot-1", "mcp_downtime") == 0.0; }));
  // The Discord probe never went down.
  EXPECT_EQ(Latest(addr, "bot-1", "discord_downtime"), 0.0);
  EXPECT_NE((*agent)->Log().find("probe mcp: DOWN"), std::string::npos);
}

}  // namespace
}  // namespace rollguard::testing

namespace rollguard::testing {
namespace {

// The scrape source reads a real Prometheus text page served by another
// process (the collector's own /metrics), within its series budget, and says
// when a target is down.
TEST(SourcesTest, ScrapeReadsAPrometheusPageWithinItsBudget) {
  TempDir dir;
  const int http_port = PickFreeTcpPort();
  auto collector = CollectorUnderTest::Start(
      dir.path(), dir.File("data"), 0, {"--http-listen", absl::StrCat("127.0.0.1:", http_port)});
  ASSERT_TRUE(collector.ok()) << collector.status();
  const std::string addr = (*collector)->address();
  auto agent = StartAgent(dir.path(), addr, "bot-1",
                          absl::StrCat("scrape:\n"
                                       "  - name: collector\n    url: http://127.0.0.1:",
                                       http_port,
                                       "/metrics\n    interval: 200ms\n    max_series: 20\n"
                                       "  - name: gone\n    url: http://127.0.0.1:",
                                       PickFreeTcpPort(), "/metrics\n    interval: 200ms\n"));
  ASSERT_TRUE(agent.ok());
  ASSERT_TRUE(WaitUntilReporting(addr, "bot-1")) << (*agent)->Log();
  // Scraped series carry the target's label; the collector sees its own agent.
  EXPECT_TRUE(Eventually([&] {
    return Latest(addr, "bot-1", "rollguard_hosts", "state=connected") == 1.0;
  })) << (*agent)->Log();
  auto connected = Latest(addr, "bot-1", "rollguard_hosts", "scrape=collector");
  EXPECT_TRUE(connected.has_value());
  EXPECT_EQ(Latest(addr, "bot-1", "scrape_up", "scrape=collector"), 1.0);
  // The page has far more than 20 series: the rest are dropped and counted.
  EXPECT_GT(Latest(addr, "bot-1", "scrape_series_dropped", "scrape=collector").value_or(0), 0);
  EXPECT_GT(Latest(addr, "bot-1", "scrape_samples", "scrape=collector").value_or(0), 0);
  EXPECT_EQ(Latest(addr, "bot-1", "scrape_up", "scrape=gone"), 0.0);
  EXPECT_NE((*agent)->Log().find("scrape gone"), std::string::npos) << (*agent)->Log();
}

}  // namespace
}  // namespace rollguard::testing
