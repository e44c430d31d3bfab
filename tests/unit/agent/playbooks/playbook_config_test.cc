#include <gtest/gtest.h>

#include "agent/playbooks/playbook.h"
#include "common/config_node.h"
#include "tests/support/process.h"

namespace rollguard::agent {
namespace {

using rollguard::testing::TempDir;
using rollguard::testing::WriteTextFile;

TEST(PlaybookConfigTest, StateDirInsideTheRootIsNoticed) {
  PlaybookConfig c;
  c.service.root = "/srv/bot";
  c.state_dir = "/srv/bot/state";
  EXPECT_TRUE(StateDirInsideRoot(c));
  c.state_dir = "/srv/bot/../bot-agent-state";
  EXPECT_FALSE(StateDirInsideRoot(c));
  c.state_dir = "/var/lib/rollguard-agent";
  EXPECT_FALSE(StateDirInsideRoot(c));
}

TEST(PlaybookConfigTest, BadPlaybooksNameTheKey) {
  TempDir dir;
  struct Case {
    std::string yaml, expect;
  } cases[] = {
      {"playbooks:\n  p:\n    steps: [{stop_service: }]\n", "playbooks need a service: section"},
      {"service: {command: [x]}\nplaybooks:\n  p:\n    steps:\n      - explode: {}\n",
       "unknown step (known: stop_service"},
      {"service: {command: [x]}\nplaybooks:\n  p:\n    steps:\n      - set_flags: {file: c.py}\n",
       "set_flags needs a file and flags"},
      {"service: {command: [x]}\nplaybooks:\n  p:\n    steps:\n"
       "      - set_flags: {file: c.toml, flags: {a: 1}, type: number}\n",
       ".type: unknown type 'number' (string, int, bool or float)"},
      {"service: {command: [x]}\nplaybooks:\n  p:\n    steps:\n"
       "      - snapshot: {path: c.toml, type: string}\n",
       ".type: only set_flags takes a type"},
      {"service: {command: [x]}\nplaybooks:\n  p: {}\n",
       "playbooks.p.steps: a playbook needs steps"},
      {"service: {command: [x], verify: [{check: vibes}]}\n", "service.verify[0].check: 'vibes'"},
  };
  for (const auto& tc : cases) {
    WriteTextFile(dir.File("a.yaml"), tc.yaml);
    auto node = ConfigNode::LoadFile(dir.File("a.yaml"));
    ASSERT_TRUE(node.ok()) << node.status();
    PlaybookConfig pc;
    absl::Status s = LoadPlaybookConfig(*node, &pc);
    ASSERT_FALSE(s.ok()) << tc.yaml;
    EXPECT_NE(s.message().find(tc.expect), std::string::npos) << "got: " << s.message();
  }
}

// --- commands from the collector ---

}  // namespace
}  // namespace rollguard::agent
