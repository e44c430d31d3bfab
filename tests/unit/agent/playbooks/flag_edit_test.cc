#include "agent/playbooks/flag_edit.h"

#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace rollguard::agent {
namespace {

TEST(FlagEditTest, PythonDictKeyExactlyOnce) {
  std::string cfg =
      "FEATURES = {\n    \"soccer_integration\": True,\n    'h2h': True,  # heavy\n}\n";
  auto off = SetPythonDictValue(cfg, "soccer_integration", "False");
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(*off,
            "FEATURES = {\n    \"soccer_integration\": False,\n    'h2h': True,  # heavy\n}\n");
  EXPECT_EQ(*SetPythonDictValue(cfg, "h2h", "False"),
            "FEATURES = {\n    \"soccer_integration\": True,\n    'h2h': False,  # heavy\n}\n");
  auto missing = SetPythonDictValue(cfg, "betting", "False");
  EXPECT_EQ(missing.status().message(),
            "key \"betting\" found 0 times (must be exactly once); nothing changed");
  std::string twice = "A = {\"x\": 1}\nB = {\"x\": 2}\n";
  EXPECT_NE(SetPythonDictValue(twice, "x", "3").status().message().find("found 2 times"),
            std::string::npos);
  // A mention that is not a dict key does not count.
  EXPECT_TRUE(SetPythonDictValue("# \"x\" is cool\nA = {\"x\": 1}\n", "x", "2").ok());
}

TEST(FlagEditTest, ByExtension) {
  EXPECT_EQ(*SetConfigValue("c.py", "F = {\"on\": True}", "on", "false"), "F = {\"on\": False}");
  EXPECT_EQ(*SetConfigValue("c.py", "R = {\"rpm\": 60}", "rpm", "10"), "R = {\"rpm\": 10}");
  auto json = SetConfigValue("c.json", R"({"features": {"soccer": true}, "n": 1})",
                             "features.soccer", "false");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find("\"soccer\": false"), std::string::npos) << *json;
  EXPECT_FALSE(SetConfigValue("c.json", R"({"a": 1})", "b", "2").ok());
  auto yaml = SetConfigValue("c.yaml", "features:\n  soccer: true\n", "features.soccer", "false");
  ASSERT_TRUE(yaml.ok());
  EXPECT_NE(yaml->find("soccer: false"), std::string::npos) << *yaml;
  EXPECT_FALSE(SetConfigValue("c.toml", "", "a", "b").ok());
}

}  // namespace
}  // namespace rollguard::agent
