#include "agent/playbooks/journal.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "agent/playbooks/root_dir.h"
#include "common/files.h"
#include "tests/support/process.h"

namespace rollguard::agent {
namespace {

namespace fs = std::filesystem;
using rollguard::testing::ReadTextFile;
using rollguard::testing::TempDir;
using rollguard::testing::WriteTextFile;

TEST(JournalTest, UndoRestoresByteIdenticalFilesAndRemovesNewOnes) {
  TempDir dir;
  std::string a = dir.File("a.bin"), b = dir.File("b.txt");
  std::string original("\x00\x01binary\xff\n", 10);
  WriteTextFile(a, original);
  Journal j(dir.File("state"), "cmd-1");
  auto root = RootDir::Open(dir.path());
  ASSERT_TRUE(root.ok()) << root.status();
  ASSERT_TRUE(j.Record(*root, a).ok());
  ASSERT_TRUE(j.Record(*root, b).ok());  // does not exist yet
  WriteTextFile(a, "changed");
  ASSERT_TRUE(j.Record(*root, a).ok());  // a second record keeps the first state
  WriteTextFile(a, "changed again");
  WriteTextFile(b, "new file");
  auto restored = Journal::Undo(dir.File("state"), "cmd-1", dir.path());
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->size(), 2u);
  EXPECT_EQ(ReadTextFile(a), original);
  EXPECT_FALSE(fs::exists(b));
  EXPECT_EQ(Journal::Undo(dir.File("state"), "nope", dir.path()).status().code(),
            absl::StatusCode::kNotFound);
}

// Between the run and the undo, the folder a journalled file lives in is
// replaced by a link to a folder outside the root: undo must not write
// through it (it used to put the saved contents outside, e.g. into /etc).
TEST(JournalTest, UndoRechecksEveryPathAndRefusesOneThatNowLeadsOut) {
  TempDir dir;
  const std::string root = dir.File("root");
  fs::create_directories(root + "/conf");
  fs::create_directories(dir.File("outside"));
  WriteTextFile(root + "/conf/settings.json", "{\"soccer\": true}");
  WriteTextFile(dir.File("outside/settings.json"), "precious");
  Journal j(dir.File("state"), "cmd-1");
  auto tree = RootDir::Open(root);
  ASSERT_TRUE(tree.ok()) << tree.status();
  ASSERT_TRUE(j.Record(*tree, root + "/conf/settings.json").ok());
  WriteTextFile(root + "/conf/settings.json", "{\"soccer\": false}");
  fs::remove_all(root + "/conf");
  fs::create_directory_symlink(dir.File("outside"), root + "/conf");

  auto restored = Journal::Undo(dir.File("state"), "cmd-1", root);
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kFailedPrecondition) << restored.status();
  EXPECT_NE(restored.status().message().find("nothing restored"), std::string::npos)
      << restored.status();
  EXPECT_EQ(ReadTextFile(dir.File("outside/settings.json")), "precious");
}

}  // namespace
}  // namespace rollguard::agent
