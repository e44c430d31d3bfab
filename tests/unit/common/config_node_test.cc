#include "common/config_node.h"

#include <gtest/gtest.h>

namespace rollguard {
namespace {

TEST(ConfigNodeTest, ReadsTypedValues) {
  auto c = ConfigNode::Parse("interval: 5s\ncount: 12\non: true\nlabels: {a: x, b: y}\n",
                             "/etc/x/agent.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c->Duration("interval"), absl::Seconds(5));
  EXPECT_EQ(*c->Int("count", 0, 100), 12);
  EXPECT_TRUE(*c->Bool("on"));
  EXPECT_EQ(c->StringMap("labels")->at("b"), "y");
}

TEST(ConfigNodeTest, UnknownKeyNamesFileLineAndKey) {
  auto c = ConfigNode::Parse("interval: 5s\nintervall: 10s\n", "agent.yaml");
  ASSERT_TRUE(c.ok());
  absl::Status s = c->AllowOnly({"interval"});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "agent.yaml:2: unknown key 'intervall' (allowed: interval)");
}

TEST(ConfigNodeTest, BadValueNamesLineAndNestedKey) {
  auto c = ConfigNode::Parse("a: 1\nbot:\n  timeout: soon\n", "agent.yaml");
  ASSERT_TRUE(c.ok());
  auto bot = c->Child("bot");
  ASSERT_TRUE(bot.ok());
  auto d = bot->Duration("timeout");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("agent.yaml:3: bot.timeout: invalid duration 'soon'"),
            std::string::npos)
      << d.status();
}

TEST(ConfigNodeTest, SyntaxErrorHasLineAndColumn) {
  auto c = ConfigNode::Parse("a: 1\nb: [unclosed\n", "bad.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().rfind("bad.yaml:", 0), 0u) << c.status();
}

TEST(ConfigNodeTest, TopLevelMustBeAMapping) {
  auto c = ConfigNode::Parse("- a\n- b\n", "list.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("mapping"), std::string::npos);
}

TEST(ConfigNodeTest, RelativePathsResolveAgainstTheFilesFolder) {
  auto c = ConfigNode::Parse("pidfile: run/bot.pid\nabs: /var/x\n", "/opt/bot/agent.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c->Path("pidfile"), "/opt/bot/run/bot.pid");
  EXPECT_EQ(*c->Path("abs"), "/var/x");
}

TEST(ConfigNodeTest, OutOfRangeAndWrongTypes) {
  auto c = ConfigNode::Parse("n: 500\nm: [1]\nb: maybe\n", "x.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_NE(c->Int("n", 0, 100).status().message().find("out of range"), std::string::npos);
  EXPECT_FALSE(c->String("m").ok());
  EXPECT_FALSE(c->Bool("b").ok());
}

TEST(ConfigNodeTest, MissingFileIsNotFound) {
  auto c = ConfigNode::LoadFile("/nonexistent/agent.yaml");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(c.status().message().find("/nonexistent/agent.yaml"), std::string::npos);
}

}  // namespace
}  // namespace rollguard
