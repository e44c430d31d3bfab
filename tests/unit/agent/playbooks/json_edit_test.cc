// set_flags on JSON: only the named value's bytes change (#19).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "agent/playbooks/flag_edit.h"
#include "agent/playbooks/json_span.h"

namespace rollguard::agent {
namespace {

TEST(JsonEditTest, OneFlagChangesOnlyItsBytesAndASnowflakeStaysExact) {
  // The issue's own example: the guild id used to become 1.2345678901234568e+18.
  const std::string before =
      R"({"guild_id": 1234567890123456789, "features": {"soccer": true, "mlb": true}, "zeta": 1, "alpha": 2})";
  auto after = SetJsonValue(before, "features.soccer", "false");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(
      *after,
      R"({"guild_id": 1234567890123456789, "features": {"soccer": false, "mlb": true}, "zeta": 1, "alpha": 2})");
  auto id = SetJsonValue(*after, "guild_id", "9223372036854775807123");
  ASSERT_TRUE(id.ok());
  EXPECT_NE(id->find(R"("guild_id": 9223372036854775807123,)"), std::string::npos) << *id;
}

TEST(JsonEditTest, SpacingCommentsOfLayoutUnicodeAndEscapedKeysAreKept) {
  const std::string before =
      "{\n  \"name\" :  \"B\\u00f8t \xc3\xa9\",\n\t\"feat\\u0075res\": {\"rate\": 1.50e+3 ,"
      "\"list\": [1, {\"rate\": 7}]}\n}\n";
  auto after = SetJsonValue(before, "features.rate", "2");
  ASSERT_TRUE(after.ok()) << after.status();
  std::string expected = before;
  expected.replace(expected.find("1.50e+3"), 7, "2");
  EXPECT_EQ(*after, expected);
  auto name = SetJsonValue(before, "name", "say \"hi\" \xc3\xa9");
  ASSERT_TRUE(name.ok());
  EXPECT_NE(name->find("\"name\" :  \"say \\\"hi\\\" \xc3\xa9\",\n"), std::string::npos) << *name;
}

TEST(JsonEditTest, WhatCannotBeDoneExactlyIsRefusedWithNothingChanged) {
  struct Case {
    std::string text, path, value, error;
  } cases[] = {
      {R"({"a": 1})", "b", "2", "key \"b\" found 0 times"},
      {R"({"a": {"x": 1}, "a": {"x": 2}})", "a.x", "3", "key \"a.x\" found 2 times"},
      {R"({"on": true})", "on", "maybe", "holds true/false; 'maybe' is not"},
      {R"({"n": 5})", "n", "five", "holds a number; 'five' is not one"},
      {R"({"o": {"p": 1}})", "o", "1", "holds an object or a list"},
      {R"({"l": [1, 2]})", "l", "1", "holds an object or a list"},
      {R"({"a": 1,})", "a", "2", "not valid JSON"},
      {R"({"l": [{"x": 1}]})", "l.x", "2", "found 0 times"},
      // Found by json_edit_fuzz: the library threw on a value that is not UTF-8.
      {R"({"s": "t"})", "s", "\xe6x", "not valid UTF-8"},
  };
  for (const Case& c : cases) {
    auto got = SetJsonValue(c.text, c.path, c.value);
    ASSERT_FALSE(got.ok()) << c.text;
    EXPECT_NE(got.status().message().find(c.error), std::string::npos)
        << c.text << " -> " << got.status().message();
  }
  // A null takes what is given, typed as written.
  EXPECT_EQ(*SetJsonValue(R"({"x": null})", "x", "true"), R"({"x": true})");
  EXPECT_EQ(*SetJsonValue(R"({"x": null})", "x", "12"), R"({"x": 12})");
  EXPECT_EQ(*SetJsonValue(R"({"x": null})", "x", "eu"), R"({"x": "eu"})");
}

// Random documents, random paths: the output is the input with one span
// replaced, and it parses to the input with one value changed.
TEST(JsonEditTest, PropertyOnlyTheNamedValuesBytesDiffer) {
  std::mt19937 rng(19);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::function<nlohmann::ordered_json(int)> make = [&](int depth) {
    nlohmann::ordered_json obj = nlohmann::ordered_json::object();
    const int n = 1 + pick(4);
    for (int i = 0; i < n; ++i) {
      std::string key = std::string(1, static_cast<char>('a' + pick(6))) + std::to_string(i);
      switch (depth < 3 ? pick(6) : pick(4)) {
        case 0:
          obj[key] = pick(2) == 0;
          break;
        case 1:
          obj[key] = static_cast<uint64_t>(rng()) << 32 | rng();
          break;
        case 2:
          obj[key] = "v\xc3\xa9\"" + std::to_string(pick(100));
          break;
        case 3:
          obj[key] = pick(1000) / 7.0;
          break;
        default:
          obj[key] = make(depth + 1);
      }
    }
    return obj;
  };
  int checked = 0;
  for (int round = 0; round < 300; ++round) {
    nlohmann::ordered_json doc = make(0);
    const std::string text = doc.dump(pick(3) == 0 ? -1 : pick(5));
    // A random scalar path.
    std::vector<std::string> path;
    const nlohmann::ordered_json* cur = &doc;
    while (cur->is_object()) {
      auto it = cur->begin();
      std::advance(it, pick(static_cast<int>(cur->size())));
      path.push_back(it.key());
      cur = &it.value();
    }
    std::string dotted = path[0];
    for (size_t i = 1; i < path.size(); ++i) dotted += "." + path[i];
    std::string value = cur->is_boolean()  ? (cur->get<bool>() ? "false" : "true")
                        : cur->is_string() ? "new text"
                                           : "12345678901234567890";
    auto out = SetJsonValue(text, dotted, value);
    ASSERT_TRUE(out.ok()) << text << " " << dotted << ": " << out.status();
    auto span = FindJsonValue(text, dotted);
    ASSERT_TRUE(span.ok());
    EXPECT_EQ(out->substr(0, span->begin), text.substr(0, span->begin));
    const size_t tail = text.size() - span->end;
    EXPECT_EQ(out->substr(out->size() - tail), text.substr(span->end));
    nlohmann::ordered_json expect = doc;
    nlohmann::ordered_json* target = &expect;
    for (const std::string& p : path) target = &(*target)[p];
    *target = cur->is_boolean()  ? nlohmann::ordered_json(value == "true")
              : cur->is_string() ? nlohmann::ordered_json(value)
                                 : nlohmann::ordered_json::parse(value);
    EXPECT_EQ(nlohmann::ordered_json::parse(*out), expect) << text << "\n" << *out;
    ++checked;
  }
  EXPECT_EQ(checked, 300);
}

}  // namespace
}  // namespace rollguard::agent

namespace rollguard::agent {
namespace {

TEST(YamlEditTest, CommentsSpacingAndOrderAreKept) {
  const std::string before =
      "# the bot's switches\n"
      "guild_id: 1234567890123456789   # snowflake\n"
      "features:\n"
      "  soccer: true    # heavy: MCP calls\n"
      "  mlb:   yes\n"
      "  name: \"Sports Bot\"\n"
      "  motto: 'it''s on'\n"
      "limits: {rpm: 60, burst: 10}\n";
  auto off = SetYamlValue(before, "features.soccer", "false");
  ASSERT_TRUE(off.ok()) << off.status();
  std::string expected = before;
  expected.replace(expected.find("true    #"), 4, "false");
  EXPECT_EQ(*off, expected);
  auto rpm = SetYamlValue(before, "limits.rpm", "10");
  ASSERT_TRUE(rpm.ok()) << rpm.status();
  EXPECT_NE(rpm->find("limits: {rpm: 10, burst: 10}\n"), std::string::npos) << *rpm;
  auto name = SetYamlValue(before, "features.name", "Safe \"mode\"");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_NE(name->find("  name: \"Safe \\\"mode\\\"\"\n"), std::string::npos) << *name;
  auto motto = SetYamlValue(before, "features.motto", "don't");
  ASSERT_TRUE(motto.ok()) << motto.status();
  EXPECT_NE(motto->find("  motto: 'don''t'\n"), std::string::npos) << *motto;
  EXPECT_EQ(SetYamlValue(before, "guild_id", "9223372036854775807123")->find("# snowflake"),
            before.find("# snowflake") + 3);
}

TEST(YamlEditTest, WhatCannotBeDoneExactlyIsRefused) {
  struct Case {
    std::string text, path, value, error;
  } cases[] = {
      {"a: 1\n", "b", "2", "found 0 times"},
      {"a:\n  x: 1\n", "a", "2", "holds a mapping or a list"},
      {"on: true\n", "on", "maybe", "holds true/false"},
      {"n: 5\n", "n", "five", "holds a number"},
      {"t: |\n  text\n", "t", "x", "block scalar"},
      {"t: one\n  two\n", "t", "x", "spans lines"},
      {"a: [1\n", "a", "2", "not valid YAML"},
  };
  for (const Case& c : cases) {
    auto got = SetYamlValue(c.text, c.path, c.value);
    ASSERT_FALSE(got.ok()) << c.text;
    EXPECT_NE(got.status().message().find(c.error), std::string::npos)
        << c.text << " -> " << got.status().message();
  }
}

}  // namespace
}  // namespace rollguard::agent

namespace rollguard::agent {
namespace {

TEST(EnvEditTest, OnlyTheValueChangesInItsOwnStyle) {
  const std::string before =
      "# sportsbot\n"
      "DISCORD_GUILD_ID=1234567890123456789\n"
      "export SOCCER_ENABLED=True   # heavy\n"
      "MLB_ENABLED = \"true\"\n"
      "GREETING='hello there'\n"
      "RATE_LIMIT=60\r\n"
      "SOCCER_ENABLED_BACKUP=true\n";
  auto off = SetEnvValue(before, "SOCCER_ENABLED", "false");
  ASSERT_TRUE(off.ok()) << off.status();
  std::string expected = before;
  expected.replace(expected.find("True   #"), 4, "False");
  EXPECT_EQ(*off, expected);
  EXPECT_NE(SetEnvValue(before, "MLB_ENABLED", "false")->find("MLB_ENABLED = \"false\"\n"),
            std::string::npos);
  EXPECT_NE(SetEnvValue(before, "GREETING", "bye")->find("GREETING='bye'\n"), std::string::npos);
  EXPECT_NE(SetEnvValue(before, "GREETING", "it's $HOME")->find("GREETING=\"it's \\$HOME\"\n"),
            std::string::npos);
  EXPECT_NE(SetEnvValue(before, "RATE_LIMIT", "10")->find("RATE_LIMIT=10\r\n"), std::string::npos);
  EXPECT_NE(SetConfigValue("/srv/bot/.env", before, "RATE_LIMIT", "5")->find("RATE_LIMIT=5\r"),
            std::string::npos);
}

TEST(EnvEditTest, MissingTwiceOrMultiLineIsRefused) {
  EXPECT_NE(SetEnvValue("A=1\n", "B", "2").status().message().find("found 0 times"),
            std::string::npos);
  EXPECT_NE(SetEnvValue("A=1\nexport A=2\n", "A", "3").status().message().find("found 2 times"),
            std::string::npos);
  EXPECT_FALSE(SetEnvValue("A=1\n", "A", "x\ny").ok());
  // A longer key that starts with the same letters is another key.
  EXPECT_EQ(*SetEnvValue("AB=1\nA=2\n", "A", "3"), "AB=1\nA=3\n");
}

}  // namespace
}  // namespace rollguard::agent
