#include "collector/remote_write/remote_write_config.h"

#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

absl::StatusOr<std::vector<RemoteWriteConfig>> Load(const std::string& yaml) {
  auto node = ConfigNode::Parse(yaml, "collector.yaml");
  if (!node.ok()) return node.status();
  return LoadRemoteWrite(*node);
}

TEST(RemoteWriteConfigTest, DefaultsAndTheNameFromTheUrl) {
  auto got = Load("remote_write:\n  - url: http://vm.example:8428/api/v1/write\n");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].name, "vm.example:8428");
  EXPECT_EQ((*got)[0].max_lag, absl::Hours(2));
  EXPECT_EQ((*got)[0].max_samples_per_send, 10'000u);
}

TEST(RemoteWriteConfigTest, SecretsComeFromFiles) {
  rollguard::testing::TempDir dir;
  rollguard::testing::WriteTextFile(dir.File("token"), "abc123\n");
  auto got = Load("remote_write:\n  - url: https://mimir/api/v1/push\n    bearer_token_file: " +
                  dir.File("token") + "\n    headers: {X-Scope-OrgID: team-a}\n");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)[0].bearer_token, "abc123");
  EXPECT_EQ((*got)[0].headers.at("X-Scope-OrgID"), "team-a");
}

TEST(RemoteWriteConfigTest, MistakesAreNamed) {
  struct Case {
    std::string yaml, error;
  } cases[] = {
      {"remote_write:\n  - name: x\n", "collector.yaml:2: remote_write[0].url: every remote_write"},
      {"remote_write:\n  - url: vm:8428\n", "must be an http:// or https:// URL"},
      {"remote_write:\n  - url: http://u:pw@vm/api/v1/write\n", "not in the URL"},
      {"remote_write:\n  - url: http://a/w\n  - url: http://a/w\n", "two remote_write entries"},
      {"remote_write:\n  - url: http://a/w\n    max_lag: 5s\n", "must be between 1m and 7d"},
      {"remote_write:\n  - url: http://a/w\n    name: 'a b'\n", "is not a name"},
      {"remote_write:\n  - url: http://a/w\n    bearer_token_file: /nonexistent/t\n",
       "bearer_token_file"},
      {"remote_write:\n  - url: http://a/w\n    queue: 5\n", "queue"},
      {"remote_write:\n  - url: http://a/w\n    headers: {authorization: x}\n",
       "authorization is set by rollguard"},
  };
  for (const Case& c : cases) {
    auto got = Load(c.yaml);
    ASSERT_FALSE(got.ok()) << c.yaml;
    EXPECT_NE(got.status().message().find(c.error), std::string::npos)
        << c.yaml << " -> " << got.status().message();
  }
}

}  // namespace
}  // namespace rollguard::collector
