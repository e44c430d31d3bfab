// RootDir holds the service-root check at the moment of use: a path that was
// inside when checked but leads out when used (a folder swapped for a link
// in between) is refused by the kernel, for reads, writes, links and removals.
#include "agent/playbooks/root_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "agent/playbooks/safe_path.h"
#include "tests/support/process.h"

namespace rollguard::agent {
namespace {

namespace fs = std::filesystem;
using rollguard::testing::ReadTextFile;
using rollguard::testing::TempDir;
using rollguard::testing::WriteTextFile;

class RootDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.File("bot/conf"));
    fs::create_directories(dir_.File("outside"));
    WriteTextFile(dir_.File("bot/conf/settings.json"), "inside");
    WriteTextFile(dir_.File("outside/settings.json"), "precious");
  }
  // The swap an attacker with write access to the bot's folder makes after
  // the step's check: conf/ becomes a link to a folder outside the root.
  void SwapConfForALinkOut() {
    fs::remove_all(dir_.File("bot/conf"));
    fs::create_directory_symlink(dir_.File("outside"), dir_.File("bot/conf"));
  }
  TempDir dir_;
};

TEST_F(RootDirTest, APathThatLeadsOutWhenUsedIsRefused) {
  auto root = RootDir::Open(dir_.File("bot"));
  ASSERT_TRUE(root.ok()) << root.status();
  // Checked while still inside: the check passes.
  auto checked = ResolveUnderRoot(dir_.File("bot"), "conf/settings.json");
  ASSERT_TRUE(checked.ok()) << checked.status();
  SwapConfForALinkOut();

  absl::Status write = root->WriteFile(*checked, "attacker's choice");
  EXPECT_EQ(write.code(), absl::StatusCode::kPermissionDenied) << write;
  EXPECT_NE(write.message().find("leads outside the service root"), std::string::npos) << write;
  EXPECT_EQ(root->ReadFile(*checked).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(root->Remove(*checked).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(root->MakeLink("/etc/passwd", *checked).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(root->KindOf(*checked).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReadTextFile(dir_.File("outside/settings.json")), "precious");
}

// Where the kernel has no openat2, every folder is opened without following
// links: the swap is refused all the same, and so (stricter) is a link that
// stays inside.
TEST_F(RootDirTest, WithoutOpenat2EveryLinkOnTheWayIsRefused) {
  RootDir::UseOpenat2ForTesting(false);
  auto root = RootDir::Open(dir_.File("bot"));
  ASSERT_TRUE(root.ok()) << root.status();
  ASSERT_TRUE(root->WriteFile("conf/settings.json", "edited").ok());
  EXPECT_EQ(ReadTextFile(dir_.File("bot/conf/settings.json")), "edited");
  SwapConfForALinkOut();
  absl::Status write = root->WriteFile("conf/settings.json", "attacker's choice");
  EXPECT_EQ(write.code(), absl::StatusCode::kPermissionDenied) << write;
  EXPECT_EQ(root->ReadFile("../outside/settings.json").status().code(),
            absl::StatusCode::kPermissionDenied);
  RootDir::UseOpenat2ForTesting(true);
  EXPECT_EQ(ReadTextFile(dir_.File("outside/settings.json")), "precious");
}

TEST_F(RootDirTest, LinksThatStayInsideWork) {
  fs::create_directories(dir_.File("bot/releases/v2"));
  WriteTextFile(dir_.File("bot/releases/v2/flags.json"), "v2");
  fs::create_directory_symlink("releases/v2", dir_.File("bot/current"));
  auto root = RootDir::Open(dir_.File("bot"));
  ASSERT_TRUE(root.ok()) << root.status();
  auto read = root->ReadFile(dir_.File("bot/current/flags.json"));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "v2");
  ASSERT_TRUE(root->WriteFile("current/flags.json", "v2 edited").ok());
  EXPECT_EQ(ReadTextFile(dir_.File("bot/releases/v2/flags.json")), "v2 edited");
  // Lexically outside: refused before anything is opened.
  EXPECT_EQ(root->ReadFile("../outside/settings.json").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(root->ReadFile(dir_.File("outside/settings.json")).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(RootDirTest, RemovingAFolderNeverFollowsTheLinksInIt) {
  fs::create_directories(dir_.File("bot/cache/sub"));
  WriteTextFile(dir_.File("bot/cache/sub/a"), "a");
  fs::create_directory_symlink(dir_.File("outside"), dir_.File("bot/cache/sub/out"));
  auto root = RootDir::Open(dir_.File("bot"));
  ASSERT_TRUE(root.ok()) << root.status();
  ASSERT_TRUE(root->Remove("cache").ok());
  EXPECT_FALSE(fs::exists(dir_.File("bot/cache")));
  EXPECT_EQ(ReadTextFile(dir_.File("outside/settings.json")), "precious");
  EXPECT_TRUE(root->Remove("cache").ok()) << "a missing path is already removed";
  EXPECT_EQ(root->Remove(".").code(), absl::StatusCode::kPermissionDenied);
}

// A FIFO put where a file was expected used to hang the agent in open() for
// good (every later command queued behind it); now it is refused at once.
TEST_F(RootDirTest, AFifoIsRefusedNotWaitedOn) {
  ASSERT_EQ(::mkfifo(dir_.File("bot/config.py").c_str(), 0644), 0);
  auto root = RootDir::Open(dir_.File("bot"));
  ASSERT_TRUE(root.ok()) << root.status();
  auto read = root->ReadFile("config.py");
  EXPECT_EQ(read.status().code(), absl::StatusCode::kFailedPrecondition) << read.status();
  EXPECT_NE(read.status().message().find("not a regular file"), std::string::npos);
}

// Undo removes what a command created; a folder swapped in there since is
// not what was recorded and is never removed with its contents.
TEST_F(RootDirTest, RemoveNonFolderRefusesAFolder) {
  fs::create_directories(dir_.File("bot/made/inside"));
  WriteTextFile(dir_.File("bot/made/inside/keep"), "k");
  auto root = RootDir::Open(dir_.File("bot"));
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->RemoveNonFolder("made").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadTextFile(dir_.File("bot/made/inside/keep")), "k");
  ASSERT_TRUE(root->RemoveNonFolder("conf/settings.json").ok());
  EXPECT_FALSE(fs::exists(dir_.File("bot/conf/settings.json")));
}

TEST_F(RootDirTest, MakesFoldersAndReportsKinds) {
  auto root = RootDir::Open(dir_.File("bot"));
  ASSERT_TRUE(root.ok()) << root.status();
  ASSERT_TRUE(root->MakeFolders("snapshots/a/b").ok());
  EXPECT_TRUE(fs::is_directory(dir_.File("bot/snapshots/a/b")));
  ASSERT_TRUE(root->MakeLink("a", "snapshots/latest").ok());
  std::string target;
  EXPECT_EQ(*root->KindOf("snapshots/latest", &target), RootDir::Kind::kLink);
  EXPECT_EQ(target, "a");
  EXPECT_EQ(*root->KindOf("snapshots/a"), RootDir::Kind::kDirectory);
  EXPECT_EQ(*root->KindOf("conf/settings.json"), RootDir::Kind::kFile);
  EXPECT_EQ(*root->KindOf("nope/deeper"), RootDir::Kind::kMissing);
}

}  // namespace
}  // namespace rollguard::agent
