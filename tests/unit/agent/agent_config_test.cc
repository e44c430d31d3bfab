#include "agent/agent_config.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/support/process.h"

namespace rollguard::agent {
namespace {

using rollguard::testing::SourcePath;
using rollguard::testing::TempDir;
using rollguard::testing::WriteTextFile;

TEST(AgentConfigTest, ShippedExampleLoads) {
  auto c = LoadAgentConfig(SourcePath("deploy/config/agent.yaml"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->collector, "127.0.0.1:7700");
  EXPECT_EQ(c->interval, absl::Seconds(10));
  EXPECT_FALSE(c->bot.pidfile.empty());
  EXPECT_EQ(c->bot.cmdline_match, "bot_structure.py");
  ASSERT_EQ(c->probes.size(), 2u);
  EXPECT_EQ(c->probes[0].name, "mcp");
  EXPECT_EQ(c->probes[1].kind, ProbeKind::kDiscord);
  ASSERT_TRUE(FinalizeAgentConfig(&*c).ok());
  EXPECT_FALSE(c->host_id.empty());
}

// An HA pair: a list, or the same comma-separated; each entry checked.
TEST(AgentConfigTest, TheCollectorMayBeAnHaPairsMembers) {
  TempDir dir;
  WriteTextFile(dir.File("agent.yaml"), "collector: [10.0.0.1:7700, 10.0.0.2:7700]\n");
  auto c = LoadAgentConfig(dir.File("agent.yaml"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->collector, "10.0.0.1:7700,10.0.0.2:7700");
  WriteTextFile(dir.File("agent.yaml"), "collector: [10.0.0.1:7700, 10.0.0.2]\n");
  auto bad = LoadAgentConfig(dir.File("agent.yaml"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'10.0.0.2' is not HOST:PORT"), std::string::npos)
      << bad.status();
}

TEST(AgentConfigTest, RelativePidfileResolvesAgainstConfigFolder) {
  TempDir dir;
  WriteTextFile(dir.File("agent.yaml"), "bot:\n  pidfile: run/bot.pid\n");
  auto c = LoadAgentConfig(dir.File("agent.yaml"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->bot.pidfile, dir.File("run/bot.pid"));
}

TEST(AgentConfigTest, TheSpoolIsOnByDefaultUnderTheStateFolderPerHost) {
  TempDir dir;
  WriteTextFile(dir.File("agent.yaml"), "host_id: bot/../eu 1\n");
  auto c = LoadAgentConfig(dir.File("agent.yaml"));
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(FinalizeAgentConfig(&*c).ok());
  // The host id is one path component, whatever it holds.
  EXPECT_EQ(c->spool_dir, dir.File("rollguard-state/spool/bot%2F..%2Feu%201"));
  EXPECT_EQ(c->spool_max_bytes, 64ull << 20);

  WriteTextFile(dir.File("agent.yaml"),
                "buffer:\n  max_samples: 500\n  spool_dir: off\n  max_bytes: 2GB\n");
  c = LoadAgentConfig(dir.File("agent.yaml"));
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(FinalizeAgentConfig(&*c).ok());
  EXPECT_EQ(c->spool_dir, "");
  EXPECT_EQ(c->buffer_max_samples, 500u);
  EXPECT_EQ(c->spool_max_bytes, 2ull << 30);

  WriteTextFile(dir.File("agent.yaml"), "buffer:\n  spool_dir: spool\n  max_bytes: 1048576\n");
  c = LoadAgentConfig(dir.File("agent.yaml"));
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(FinalizeAgentConfig(&*c).ok());
  EXPECT_EQ(c->spool_dir, dir.File("spool"));
  EXPECT_EQ(c->spool_max_bytes, 1u << 20);
}

// Flags alone under systemd's StateDirectory= (the packaged unit): the spool
// goes there; without it and without a state folder, memory only.
TEST(AgentConfigTest, FlagsAloneSpoolUnderSystemdsStateDirectory) {
  AgentConfig c;
  c.host_id = "bot-1";
  c.collector = "127.0.0.1:7700";
  ::unsetenv("STATE_DIRECTORY");
  ASSERT_TRUE(FinalizeAgentConfig(&c).ok());
  EXPECT_EQ(c.spool_dir, "");
  ::setenv("STATE_DIRECTORY", "/var/lib/rollguard-agent:/var/lib/other", 1);
  ASSERT_TRUE(FinalizeAgentConfig(&c).ok());
  ::unsetenv("STATE_DIRECTORY");
  EXPECT_EQ(c.spool_dir, "/var/lib/rollguard-agent/spool/bot-1");
}

TEST(AgentConfigTest, ErrorsNameFileLineAndKey) {
  TempDir dir;
  struct Case {
    std::string yaml;
    std::string expect;
  } cases[] = {
      {"interval: 10s\ncolector: x:1\n", ":2: unknown key 'colector'"},
      {"interval: fast\n", ":1: interval: invalid duration 'fast'"},
      {"collector: nohost\n", ":1: collector: collector: 'nohost' is not HOST:PORT"},
      {"bot:\n  pidfle: x\n", ":2: unknown key 'bot.pidfle'"},
      {"buffer_max_samples: 5\n", ":1: buffer_max_samples: 5 is out of range"},
      {"buffer:\n  max_bytes: lots\n", ":2: buffer.max_bytes: 'lots' is not a size"},
      {"buffer:\n  max_bytes: 10KB\n", ":2: buffer.max_bytes: 10KB is out of range"},
      {"buffer:\n  spool: x\n", ":2: unknown key 'buffer.spool'"},
      {"labels: [a, b]\n", ":1: labels: expected a mapping"},
      {"interval: 1ms\n", ":1: interval: must be at least 100ms"},
      {"a: [\n", "agent.yaml:"},
      {"statsd:\n  listn: x\n", ":2: unknown key 'statsd.listn'"},
      {"statsd:\n  window: 0s\n", ":2: statsd.window: must be between 1s and 24h"},
      {"probes:\n  - name: mcp\n    url: ftp://x\n", ":3: probes[0].url: must start with http"},
      {"probes:\n  - url: http://x\n", "probes[0].name: every probe needs a name"},
      {"probes:\n  - name: mcp\n    url: http://x\n    kind: grpc\n",
       ":4: probes[0].kind: 'grpc' is not one of http, mcp, discord"},
      {"probes:\n  - name: a\n    url: http://x\n  - name: a\n    url: http://y\n",
       ":4: probes[1].name: duplicate probe 'a'"},
      {"probes:\n  - name: bad-name\n    url: http://x\n", "probes[0].name: must match"},
      {"probes: {name: x}\n", ":1: probes: expected a list"},
      {"scrape:\n  - name: bot\n    url: file:///x\n", ":3: scrape[0].url: must start with http"},
      {"scrape:\n  - url: http://x\n", "scrape[0].name: every scrape target needs a name"},
      {"scrape:\n  - name: a\n    url: http://x\n  - name: a\n    url: http://y\n",
       ":4: scrape[1].name: duplicate scrape target 'a'"},
      {"scrape:\n  - name: a\n    url: http://x\n    max_series: 0\n",
       ":4: scrape[0].max_series: 0 is out of range"},
      {"scrape:\n  - name: a\n    url: http://x\n    max_series: 3000\n"
       "  - name: b\n    url: http://y\n    max_series: 3000\n",
       ":1: scrape: max_series adds up to 6000 over all targets; at most 5000"},
      {"scrape:\n  - name: a\n    url: http://x\n    timeout: 5m\n",
       "scrape[0].timeout: must be between 100ms and 60s"},
      {"scrape:\n  - name: a\n    url: http://x\n    metric_prefix: 9x\n",
       "scrape[0].metric_prefix: must be the start of a metric name"},
  };
  for (const auto& tc : cases) {
    WriteTextFile(dir.File("agent.yaml"), tc.yaml);
    auto c = LoadAgentConfig(dir.File("agent.yaml"));
    ASSERT_FALSE(c.ok()) << tc.yaml;
    EXPECT_NE(c.status().message().find(tc.expect), std::string::npos)
        << "got: " << c.status().message() << "\nwanted: " << tc.expect;
  }
}

TEST(AgentConfigTest, ProbesAndStatsd) {
  TempDir dir;
  WriteTextFile(dir.File("agent.yaml"),
                "statsd:\n  listen: 127.0.0.1:9125\n  mapping:\n    op_tag: command\n"
                "probes:\n"
                "  - name: mcp\n    kind: mcp\n    url: https://mcp.example/mcp\n"
                "    interval: 15s\n"
                "  - name: site\n    url: https://example.org/health\n"
                "    expect_body_contains: ok\n    headers: {X-Token: abc}\n");
  auto c = LoadAgentConfig(dir.File("agent.yaml"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->statsd_listen, "127.0.0.1:9125");
  EXPECT_EQ(c->statsd_mapping.op_tag, "command");
  ASSERT_EQ(c->probes.size(), 2u);
  // The mcp kind brings the runbook's JSON-RPC POST.
  EXPECT_EQ(c->probes[0].method, "POST");
  EXPECT_EQ(c->probes[0].body, R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})");
  EXPECT_EQ(c->probes[0].headers.at("Content-Type"), "application/json");
  EXPECT_EQ(c->probes[0].interval, absl::Seconds(15));
  EXPECT_TRUE(c->probes[0].tls_verify);
  EXPECT_EQ(c->probes[1].method, "GET");
  EXPECT_EQ(c->probes[1].headers.at("X-Token"), "abc");
  WriteTextFile(dir.File("agent.yaml"), "statsd:\n  listen: off\n");
  EXPECT_EQ(LoadAgentConfig(dir.File("agent.yaml"))->statsd_listen, "");
}

TEST(AgentConfigTest, FinalizeChecksFlagsToo) {
  AgentConfig c;
  c.host_id = "h";
  c.collector = "localhost";
  EXPECT_FALSE(FinalizeAgentConfig(&c).ok());
  c.collector = "localhost:7700";
  EXPECT_TRUE(FinalizeAgentConfig(&c).ok());
  c.reconnect_max = absl::Milliseconds(1);
  EXPECT_FALSE(FinalizeAgentConfig(&c).ok());
}

}  // namespace
}  // namespace rollguard::agent
