#include "agent/agent_config.h"

#include <gtest/gtest.h>

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
  ASSERT_TRUE(FinalizeAgentConfig(&*c).ok());
  EXPECT_FALSE(c->host_id.empty());
}

TEST(AgentConfigTest, RelativePidfileResolvesAgainstConfigFolder) {
  TempDir dir;
  WriteTextFile(dir.File("agent.yaml"), "bot:\n  pidfile: run/bot.pid\n");
  auto c = LoadAgentConfig(dir.File("agent.yaml"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->bot.pidfile, dir.File("run/bot.pid"));
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
      {"labels: [a, b]\n", ":1: labels: expected a mapping"},
      {"interval: 1ms\n", ":1: interval: must be at least 100ms"},
      {"a: [\n", "agent.yaml:"},
  };
  for (const auto& tc : cases) {
    WriteTextFile(dir.File("agent.yaml"), tc.yaml);
    auto c = LoadAgentConfig(dir.File("agent.yaml"));
    ASSERT_FALSE(c.ok()) << tc.yaml;
    EXPECT_NE(c.status().message().find(tc.expect), std::string::npos)
        << "got: " << c.status().message() << "\nwanted: " << tc.expect;
  }
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
