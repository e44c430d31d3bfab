#include "agent/commands/command_executor.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "common/files.h"
#include "tests/unit/agent/playbooks/runner_fixture.h"

namespace rollguard::agent {
namespace {

class CommandExecutorTest : public RunnerTest {
 protected:
  void Start(const std::string& playbooks) {
    ASSERT_TRUE(Make(playbooks).ok());
    executor_ = std::make_unique<CommandExecutor>(runner_.get(), [this](auto u) {
      std::lock_guard<std::mutex> lock(mu_);
      updates_.push_back(std::move(u));
    });
    executor_->Start();
  }
  void TearDown() override {
    if (executor_) executor_->Stop();
  }
  rollguard::v1::Command Cmd(const std::string& id, const std::string& playbook) {
    rollguard::v1::Command c;
    c.set_id(id);
    c.set_playbook(playbook);
    return c;
  }
  // Waits for the final update of `id` (the n-th one, counting repeats).
  std::vector<rollguard::v1::CommandUpdate> AnswersTo(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<rollguard::v1::CommandUpdate> out;
    for (const auto& u : updates_) {
      if (u.command_id() == id) out.push_back(u);
    }
    return out;
  }
  std::optional<rollguard::v1::CommandUpdate> Final(const std::string& id, int nth = 1) {
    std::optional<rollguard::v1::CommandUpdate> found;
    rollguard::testing::WaitFor(
        [&] {
          std::lock_guard<std::mutex> lock(mu_);
          int seen = 0;
          for (const auto& u : updates_) {
            bool final = u.state() != rollguard::v1::RUNNING;
            if (u.command_id() == id && final && ++seen == nth) found = u;
          }
          return found.has_value();
        },
        absl::Seconds(10));
    return found;
  }
  int StartedLines(const std::string& id) {
    std::string text = ReadTextFile(dir_.File("state/executed"));
    int n = 0;
    for (size_t at = 0; (at = text.find(id + "\tstarted", at)) != std::string::npos; ++at) ++n;
    return n;
  }
  std::unique_ptr<CommandExecutor> executor_;
  std::mutex mu_;
  std::vector<rollguard::v1::CommandUpdate> updates_;
};

constexpr char kSoccerOff[] =
    "playbooks:\n  off:\n    steps:\n"
    "      - set_flags: {file: config.py, flags: {soccer_integration: false}}\n"
    "      - remove: {globs: ['cache/soccer_*']}\n";

TEST_F(CommandExecutorTest, StreamsEachStepThenTheResult) {
  Start(kSoccerOff);
  executor_->Submit(Cmd("c-1", "off"));
  auto final = Final("c-1");
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->state(), rollguard::v1::SUCCEEDED) << final->error();
  ASSERT_EQ(final->steps_size(), 2);
  EXPECT_EQ(final->steps(1).status(), "ok");
  EXPECT_EQ(final->steps(1).total(), 2);
  std::lock_guard<std::mutex> lock(mu_);
  // RUNNING first, then a start and an end per step, then the result.
  ASSERT_EQ(updates_.size(), 6u);
  EXPECT_EQ(updates_[0].state(), rollguard::v1::RUNNING);
  EXPECT_EQ(updates_[1].steps(0).status(), "running");
  EXPECT_EQ(updates_[2].steps(0).status(), "ok");
}

TEST_F(CommandExecutorTest, ARedeliveredCommandIsAnsweredFromItsRecordAndNotRunAgain) {
  Start(kSoccerOff);
  executor_->Submit(Cmd("c-2", "off"));
  ASSERT_TRUE(Final("c-2").has_value());
  // Someone turns soccer back on; a redelivery must not turn it off again.
  WriteTextFile(dir_.File("bot/config.py"), "FEATURES = {\"soccer_integration\": True}\n");
  executor_->Submit(Cmd("c-2", "off"));
  auto again = Final("c-2", 2);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->state(), rollguard::v1::SUCCEEDED);
  EXPECT_EQ(again->steps_size(), 2);
  EXPECT_EQ(ReadTextFile(dir_.File("bot/config.py")),
            "FEATURES = {\"soccer_integration\": True}\n");
  EXPECT_EQ(StartedLines("c-2"), 1);
}

// A collector that led and was replaced wakes up and sends a command: the
// agent has seen the new leader's epoch and refuses it, without recording a
// result (the same id from the real leader must still run), and remembers
// the epoch across its own restart.
TEST_F(CommandExecutorTest, ACommandFromADeposedLeaderIsRefusedAcrossRestarts) {
  Start(kSoccerOff);
  auto from_new = Cmd("c-new", "off");
  from_new.set_leader_epoch(7);
  executor_->Submit(from_new);
  ASSERT_EQ(Final("c-new")->state(), rollguard::v1::SUCCEEDED);
  WriteTextFile(dir_.File("bot/config.py"), "FEATURES = {\"soccer_integration\": True}\n");
  auto from_old = Cmd("c-old", "off");
  from_old.set_leader_epoch(6);
  executor_->Submit(from_old);
  // No answer to a fenced command (a final REFUSED would also end the real
  // leader's copy of the same id): a later command's answer shows the
  // executor has been past it.
  auto probe = [&](const std::string& id) {
    auto p = Cmd(id, "off");
    p.set_leader_epoch(7);
    executor_->Submit(p);
    return Final(id).has_value();
  };
  ASSERT_TRUE(probe("c-probe-1"));
  EXPECT_TRUE(AnswersTo("c-old").empty());
  EXPECT_EQ(StartedLines("c-old"), 0);
  EXPECT_FALSE(std::filesystem::exists(dir_.File("state/results/c-old.pb")));

  executor_->Stop();  // the agent restarts
  executor_ = std::make_unique<CommandExecutor>(runner_.get(), [this](auto u) {
    std::lock_guard<std::mutex> lock(mu_);
    updates_.push_back(std::move(u));
  });
  executor_->Start();
  executor_->Submit(from_old);
  ASSERT_TRUE(probe("c-probe-2"));
  EXPECT_TRUE(AnswersTo("c-old").empty());
  EXPECT_EQ(StartedLines("c-old"), 0);
  from_old.set_leader_epoch(7);  // the same id, now from the leader
  executor_->Submit(from_old);
  ASSERT_EQ(Final("c-old")->state(), rollguard::v1::SUCCEEDED);
  EXPECT_EQ(StartedLines("c-old"), 1);
}

TEST_F(CommandExecutorTest, ACommandInterruptedByACrashIsNotStartedTwice) {
  Start(kSoccerOff);
  fs::create_directories(dir_.File("state"));
  WriteTextFile(dir_.File("state/executed"), "c-3\tstarted\toff\n");
  executor_->Submit(Cmd("c-3", "off"));
  auto final = Final("c-3");
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->state(), rollguard::v1::FAILED);
  EXPECT_NE(final->error().find("not run again"), std::string::npos) << final->error();
  EXPECT_EQ(ReadTextFile(dir_.File("bot/config.py")),
            "FEATURES = {\"soccer_integration\": True}\n");
}

TEST_F(CommandExecutorTest, RefusesBadIdsUnknownPlaybooksAndLateCommands) {
  Start(kSoccerOff);
  executor_->Submit(Cmd("../../etc/x", "off"));
  auto bad_id = Final("../../etc/x");
  ASSERT_TRUE(bad_id.has_value());
  EXPECT_EQ(bad_id->state(), rollguard::v1::REFUSED);
  EXPECT_NE(bad_id->error().find("[A-Za-z0-9._-]"), std::string::npos);

  executor_->Submit(Cmd("c-4", "rm-everything"));
  auto unknown = Final("c-4");
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->state(), rollguard::v1::REFUSED);
  EXPECT_NE(unknown->error().find("no playbook 'rm-everything'"), std::string::npos);

  auto late = Cmd("c-5", "off");
  late.set_deadline_ms(absl::ToUnixMillis(absl::Now() - absl::Seconds(1)));
  executor_->Submit(late);
  auto expired = Final("c-5");
  ASSERT_TRUE(expired.has_value());
  EXPECT_EQ(expired->state(), rollguard::v1::REFUSED);
  EXPECT_NE(expired->error().find("deadline"), std::string::npos);
  EXPECT_EQ(ReadTextFile(dir_.File("bot/config.py")),
            "FEATURES = {\"soccer_integration\": True}\n");
}

TEST_F(CommandExecutorTest, UndoCommandPutsTheFilesBack) {
  Start(kSoccerOff);
  std::string before = ReadTextFile(dir_.File("bot/config.py"));
  executor_->Submit(Cmd("c-6", "off"));
  ASSERT_TRUE(Final("c-6").has_value());
  ASSERT_NE(ReadTextFile(dir_.File("bot/config.py")), before);
  rollguard::v1::Command undo;
  undo.set_id("c-7");
  undo.set_undo_of("c-6");
  executor_->Submit(undo);
  auto final = Final("c-7");
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->state(), rollguard::v1::SUCCEEDED) << final->error();
  EXPECT_EQ(ReadTextFile(dir_.File("bot/config.py")), before);
  EXPECT_EQ(ReadTextFile(dir_.File("bot/cache/soccer_1")), "a");
}

}  // namespace
}  // namespace rollguard::agent
