#include "collector/collector_config.h"

#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

using rollguard::testing::SourcePath;
using rollguard::testing::TempDir;
using rollguard::testing::WriteTextFile;

TEST(CollectorConfigTest, ShippedExampleLoads) {
  auto c = LoadCollectorConfig(SourcePath("deploy/config/collector.yaml"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "127.0.0.1:7700");
  EXPECT_EQ(c->data_dir, "/var/lib/rollguard/collector");
  EXPECT_EQ(c->retention, absl::Hours(24 * 30));
  EXPECT_TRUE(ValidateCollectorConfig(*c).ok());
  const auto& n = c->alerting.notify;
  ASSERT_EQ(n.receivers.size(), 4u);  // the built-in log plus three
  EXPECT_EQ(n.receivers[1].type, "discord");
  EXPECT_EQ(n.receivers[3].to, std::vector<std::string>{"oncall@example.org"});
  ASSERT_EQ(n.routes.size(), 2u);
  EXPECT_EQ(n.routes[0].fallback, "oncall-mail");
  EXPECT_EQ(c->alerting.engine.stale_after, absl::Minutes(2));
  EXPECT_EQ(c->automation.mode, AutomationMode::kConfirm);
  EXPECT_EQ(c->automation.severity_playbooks.at("high"), "disable-soccer");
  ASSERT_EQ(c->automation.levels.size(), 4u);
  EXPECT_EQ(c->automation.levels[1].budget, absl::Minutes(15));
  EXPECT_EQ(c->automation.levels[2].receivers,
            (std::vector<std::string>{"ops-discord", "oncall-mail"}));
  EXPECT_EQ(c->command_queue_for, absl::Minutes(15));
}

TEST(CollectorConfigTest, AlertingErrorsNameTheKey) {
  TempDir dir;
  struct Case {
    std::string yaml, expect;
  } cases[] = {
      {"alerting:\n  receivers:\n    - {name: x, type: pager}\n",
       ":3: alerting.receivers[0].type: 'pager' is not one of"},
      {"alerting:\n  receivers:\n    - {name: x, type: webhook}\n",
       "alerting.receivers[0].url: a webhook receiver needs an http(s):// url"},
      {"alerting:\n  routes:\n    - {receivers: [nobody]}\n",
       "alerting.routes[0].receivers: no receiver named 'nobody'"},
      {"alerting:\n  routes:\n    - {severities: [urgent], receivers: [log]}\n",
       "alerting.routes[0].severities: 'urgent' is not a severity"},
      {"alerting:\n  receivers:\n    - {name: m, type: email, smtp_url: 'smtp://x'}\n",
       "alerting.receivers[0].from: is required for an email receiver"},
  };
  for (const auto& tc : cases) {
    WriteTextFile(dir.File("c.yaml"), tc.yaml);
    auto c = LoadCollectorConfig(dir.File("c.yaml"));
    ASSERT_FALSE(c.ok()) << tc.yaml;
    EXPECT_NE(c.status().message().find(tc.expect), std::string::npos)
        << "got: " << c.status().message();
  }
}

TEST(CollectorConfigTest, ErrorsNameFileLineAndKey) {
  TempDir dir;
  struct Case {
    std::string yaml;
    std::string expect;
  } cases[] = {
      {"retention: forever\n", ":1: retention: invalid duration 'forever'"},
      {"listen: 127.0.0.1\n", ":1: listen: listen: '127.0.0.1' is not HOST:PORT"},
      {"data_dir: x\nsync: true\n", ":2: unknown key 'sync'"},
      {"ingest_threads: 0\n", ":1: ingest_threads: 0 is out of range [1, 64]"},
      {"retention: 10s\n", ":1: retention: must be at least 1m"},
      {"sync_writes: sometimes\n", ":1: sync_writes: 'sometimes' is not true/false"},
      {"automation:\n  mode: yolo\n",
       ":2: automation.mode: automation mode 'yolo' is not one of auto"},
      {"automation:\n  playbooks: {urgent: x}\n", "'urgent' is not a severity"},
      {"automation:\n  escalation:\n    - {name: dev, budget: 1m, receivers: [pager]}\n",
       "names receiver 'pager', which alerting.receivers does not define"},
      {"automation:\n  max_concurrent: 0\n", "max_concurrent: 0 is out of range"},
      {"ingest:\n  max_message_kb: 1\n", ":2: ingest.max_message_kb: 1 is out of range"},
      {"ingest:\n  grpc_memory_mb: 1\n", ":2: ingest.grpc_memory_mb: 1 is out of range"},
      {"records_retention: 5m\n", ":1: records_retention: must be between 1h and 36500d"},
      {"records_retention: 40000d\n", ":1: records_retention: must be between 1h and 36500d"},
      {"ha:\n  ttl: 10s\n", "ha.etcd"},
      {"ha:\n  etcd: []\n", "needs at least one etcd client URL"},
      {"ha:\n  etcd: [127.0.0.1:2379]\n", "'127.0.0.1:2379' is not an http:// or https:// URL"},
      {"ha:\n  etcd: [http://e:2379]\n  ttl: 1s\n", ":3: ha.ttl: must be between 2s and 5m"},
      {"ha:\n  etcd: [http://e:2379]\n  ttl: 2500ms\n", "must be whole seconds"},
      {"ha:\n  etcd: [http://e:2379]\n  member: a/b\n", "without '/'"},
      {"ha:\n  etcd: [http://e:2379]\n  leader: me\n", "unknown key 'ha.leader'"},
      {"ha:\n  etcd: [https://e:2379]\n  tls: {ca: ca.crt, cert: c.crt}\n",
       "cert and key go together"},
  };
  for (const auto& tc : cases) {
    WriteTextFile(dir.File("collector.yaml"), tc.yaml);
    auto c = LoadCollectorConfig(dir.File("collector.yaml"));
    ASSERT_FALSE(c.ok()) << tc.yaml;
    EXPECT_NE(c.status().message().find(tc.expect), std::string::npos)
        << "got: " << c.status().message();
  }
}

TEST(CollectorConfigTest, AnHaSectionIsReadAndItsAbsenceMeansAlone) {
  TempDir dir;
  WriteTextFile(dir.File("c.yaml"),
                "ha:\n  etcd: [http://10.0.0.5:2379, http://10.0.0.6:2379]\n  ttl: 4s\n"
                "  member: a\n  cluster: eu\n");
  auto c = LoadCollectorConfig(dir.File("c.yaml"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->ha.enabled());
  EXPECT_EQ(c->ha.etcd.size(), 2u);
  EXPECT_EQ(c->ha.ttl, absl::Seconds(4));
  EXPECT_EQ(c->ha.member, "a");
  EXPECT_EQ(c->ha.cluster, "eu");
  WriteTextFile(dir.File("c.yaml"), "data_dir: d\n");
  EXPECT_FALSE(LoadCollectorConfig(dir.File("c.yaml"))->ha.enabled());
}

TEST(CollectorConfigTest, RelativeDataDirResolvesAgainstConfigFolder) {
  TempDir dir;
  WriteTextFile(dir.File("c.yaml"), "data_dir: data\n");
  EXPECT_EQ(LoadCollectorConfig(dir.File("c.yaml"))->data_dir, dir.File("data"));
}

}  // namespace
}  // namespace rollguard::collector
