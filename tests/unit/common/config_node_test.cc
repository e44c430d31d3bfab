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

// Found by the playbook-config fuzzer: a key that is itself a mapping or a
// list used to reach yaml-cpp's throwing "invalid node" and abort the agent.
TEST(ConfigNodeTest, AKeyThatIsAMappingIsAnErrorNotACrash) {
  auto c = ConfigNode::Parse("playbooks:\n  ? {a: 1}\n  : {steps: []}\n", "agent.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  auto pbs = c->Child("playbooks");
  ASSERT_TRUE(pbs.ok()) << pbs.status();
  auto keys = pbs->Keys();
  EXPECT_EQ(keys.status().message(),
            "agent.yaml:2: playbooks.<key>: a key must be a plain name, not a mapping");
  EXPECT_EQ(pbs->AllowOnly({"x"}).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConfigNodeTest, EveryGetterOnAMissingKeyIsAnError) {
  auto c = ConfigNode::Parse("a: 1\n", "agent.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->Child("b").status().message(), "agent.yaml:1: b: missing");
  EXPECT_FALSE(c->String("b").ok());
  EXPECT_FALSE(c->Duration("b").ok());
  EXPECT_FALSE(c->Int("b", 0, 1).ok());
  EXPECT_FALSE(c->Bool("b").ok());
  EXPECT_FALSE(c->StringMap("b").ok());
  EXPECT_FALSE(c->Strings("b").ok());
  EXPECT_FALSE(c->MapList("b").ok());
  EXPECT_FALSE(c->Path("b").ok());
}

TEST(ConfigNodeTest, ALabelMapWithAListKeyIsAnError) {
  auto c = ConfigNode::Parse("labels:\n  ? [a, b]\n  : x\n", "agent.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->StringMap("labels").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rollguard
