#include "common/default_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace rollguard {
namespace {

TEST(DefaultConfigTest, TheSystemFileWhenItExistsElseNothing) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("default-config-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  EXPECT_EQ(DefaultConfigPath("agent.yaml", dir.string()), "");
  std::ofstream(dir / "agent.yaml") << "interval: 10s\n";
  EXPECT_EQ(DefaultConfigPath("agent.yaml", dir.string()), (dir / "agent.yaml").string());
  std::filesystem::create_directories(dir / "collector.yaml");  // a folder is not a config
  EXPECT_EQ(DefaultConfigPath("collector.yaml", dir.string()), "");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rollguard
