#include "agent/playbooks/safe_path.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/process.h"

namespace rollguard::agent {
namespace {

namespace fs = std::filesystem;
using rollguard::testing::TempDir;

TEST(SafePathTest, StaysUnderTheRoot) {
  TempDir dir;
  fs::create_directories(dir.File("bot/cache"));
  std::string root = dir.File("bot");
  EXPECT_EQ(*ResolveUnderRoot(root, "cache/x.json"),
            fs::canonical(root).string() + "/cache/x.json");
  EXPECT_EQ(*ResolveUnderRoot(root, "./cache/../config.py"),
            fs::canonical(root).string() + "/config.py");
  auto up = ResolveUnderRoot(root, "../etc/passwd");
  EXPECT_EQ(up.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(up.status().message().find("'../etc/passwd' is outside the service root"),
            std::string::npos);
  EXPECT_FALSE(ResolveUnderRoot(root, "/etc/passwd").ok());
  EXPECT_FALSE(ResolveUnderRoot(root, "cache/../../x").ok());
  // A symlink inside the root that points out of it.
  fs::create_directory_symlink("/etc", dir.File("bot/etc_link"));
  auto via_link = ResolveUnderRoot(root, "etc_link/passwd");
  ASSERT_FALSE(via_link.ok());
  EXPECT_NE(via_link.status().message().find("through a symlink"), std::string::npos);
}

}  // namespace
}  // namespace rollguard::agent
