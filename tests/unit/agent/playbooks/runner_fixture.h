// A bot folder (config.py with a backup, a cache) and a PlaybookRunner over
// it, built from a playbooks: YAML snippet. Shared by the runner's tests and
// the command executor's, which drives a runner.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "agent/playbooks/runner.h"
#include "common/clock.h"
#include "common/config_node.h"
#include "tests/support/process.h"

namespace rollguard::agent {

namespace fs = std::filesystem;
using rollguard::testing::ReadTextFile;
using rollguard::testing::TempDir;
using rollguard::testing::WriteTextFile;

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.File("bot/cache"));
    WriteTextFile(dir_.File("bot/config.py"), "FEATURES = {\"soccer_integration\": True}\n");
    WriteTextFile(dir_.File("bot/config.py.backup"),
                  "FEATURES = {\"soccer_integration\": True, \"x\": 1}\n");
    WriteTextFile(dir_.File("bot/cache/soccer_1"), "a");
    WriteTextFile(dir_.File("bot/cache/mlb_1"), "b");
  }
  // `service` is the service: section's body (the default: a process).
  absl::StatusOr<PlaybookRunner*> Make(
      const std::string& playbooks, const Clock* clock = &Clock::Real(),
      const std::string& service = "  root: bot\n  command: [/bin/sleep, '60']\n") {
    std::string yaml = "service:\n" + service + "state_dir: state\n" + playbooks;
    WriteTextFile(dir_.File("agent.yaml"), yaml);
    auto node = ConfigNode::LoadFile(dir_.File("agent.yaml"));
    if (!node.ok()) return node.status();
    PlaybookConfig pc;
    if (auto s = LoadPlaybookConfig(*node, &pc); !s.ok()) return s;
    runner_ = std::make_unique<PlaybookRunner>(pc, clock);
    return runner_.get();
  }
  TempDir dir_;
  std::unique_ptr<PlaybookRunner> runner_;
};

}  // namespace rollguard::agent
