// Fencing by leader epoch: the highest epoch survives a restart, a lower one
// is refused, and a file the fence cannot trust refuses everything.
#include "agent/commands/epoch_fence.h"

#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace rollguard::agent {
namespace {

using rollguard::testing::ReadTextFile;
using rollguard::testing::TempDir;
using rollguard::testing::WriteTextFile;

TEST(EpochFenceTest, WithoutHaEveryCommandIsEpochZeroAndPasses) {
  TempDir dir;
  EpochFence fence(dir.File("leader_epoch"));
  EXPECT_TRUE(fence.Admit(0).ok());
  EXPECT_TRUE(fence.Admit(0).ok());
  EXPECT_EQ(fence.highest(), 0u);
}

TEST(EpochFenceTest, TheHighestEpochIsKeptAcrossRestartsAndALowerOneIsRefused) {
  TempDir dir;
  {
    EpochFence fence(dir.File("leader_epoch"));
    ASSERT_TRUE(fence.Admit(41).ok());
    ASSERT_TRUE(fence.Admit(57).ok());   // a failover: the new leader
    absl::Status old = fence.Admit(41);  // the old one wakes up
    EXPECT_TRUE(absl::IsFailedPrecondition(old)) << old;
    EXPECT_NE(old.message().find("leader epoch 41, this host has seen 57"), absl::string_view::npos)
        << old;
    EXPECT_TRUE(fence.Admit(57).ok());  // the leader's next command
  }
  EXPECT_EQ(ReadTextFile(dir.File("leader_epoch")), "57\n");
  EpochFence after_restart(dir.File("leader_epoch"));
  EXPECT_EQ(after_restart.highest(), 57u);
  EXPECT_FALSE(after_restart.Admit(41).ok());
  EXPECT_FALSE(after_restart.Admit(0).ok());  // nor a collector without HA
  EXPECT_TRUE(after_restart.Admit(58).ok());
}

TEST(EpochFenceTest, AFileItCannotTrustOrWriteRefusesEveryCommand) {
  TempDir dir;
  WriteTextFile(dir.File("leader_epoch"), "5x\n");
  EpochFence damaged(dir.File("leader_epoch"));
  absl::Status s = damaged.Admit(9);
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_NE(s.message().find("damaged"), absl::string_view::npos) << s;
  // A place that can hold no file (under a file): nothing passes, not even
  // epoch 0. (A missing folder is made.)
  WriteTextFile(dir.File("a-file"), "");
  EpochFence unusable(dir.File("a-file/leader_epoch"));
  EXPECT_TRUE(absl::IsUnavailable(unusable.Admit(0)));
  EXPECT_TRUE(absl::IsUnavailable(unusable.Admit(3)));
  EXPECT_EQ(unusable.highest(), 0u);
  EpochFence made(dir.File("state/leader_epoch"));
  EXPECT_TRUE(made.Admit(3).ok());
  EXPECT_EQ(ReadTextFile(dir.File("state/leader_epoch")), "3\n");
}

}  // namespace
}  // namespace rollguard::agent
