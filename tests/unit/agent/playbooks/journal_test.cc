#include "agent/playbooks/journal.h"

#include <gtest/gtest.h>

#include <filesystem>

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
  ASSERT_TRUE(j.Record(a).ok());
  ASSERT_TRUE(j.Record(b).ok());  // does not exist yet
  WriteTextFile(a, "changed");
  ASSERT_TRUE(j.Record(a).ok());  // a second record keeps the first state
  WriteTextFile(a, "changed again");
  WriteTextFile(b, "new file");
  auto restored = Journal::Undo(dir.File("state"), "cmd-1");
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->size(), 2u);
  EXPECT_EQ(ReadTextFile(a), original);
  EXPECT_FALSE(fs::exists(b));
  EXPECT_EQ(Journal::Undo(dir.File("state"), "nope").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace rollguard::agent
