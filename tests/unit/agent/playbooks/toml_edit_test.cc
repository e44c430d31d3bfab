// set_flags on TOML, and `type:` across every format (#19).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/playbooks/flag_edit.h"

namespace rollguard::agent {
namespace {

constexpr char kBot[] =
    "# sportsbot settings\n"
    "guild_id = 1234567890123456789\n"
    "name    = \"Sports \\\"Bot\\\" \xc3\xa9t\xc3\xa9\"   # shown in Discord\n"
    "\n"
    "[features]\n"
    "soccer = true    # the MCP feed\n"
    "mlb=true\n"
    "\n"
    "[limits.rate]\n"
    "per_minute = 1_000\n"
    "burst = 2.5e1\n"
    "owner = 'ops team'\n"
    "\n"
    "[server]\n"
    "inline = { host = \"127.0.0.1\", port = 8080 }\n"
    "retry.max = 3\n";

// Replaces the first `from` in `text` with `to`.
std::string With(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(TomlEditTest, OnlyTheNamedValuesBytesChangeWhereverTheTableIsWritten) {
  struct Case {
    const char* path;
    const char* value;
    std::string from, to;
  } cases[] = {
      {"features.soccer", "false", "soccer = true ", "soccer = false "},
      {"features.mlb", "FALSE", "mlb=true", "mlb=false"},
      {"guild_id", "9223372036854775807", "1234567890123456789", "9223372036854775807"},
      {"limits.rate.per_minute", "250", "1_000", "250"},
      {"limits.rate.burst", "0.75", "2.5e1", "0.75"},
      {"limits.rate.owner", "on-call", "'ops team'", "'on-call'"},
      {"name", "Bot \"2\"", "\"Sports \\\"Bot\\\" \xc3\xa9t\xc3\xa9\"", "\"Bot \\\"2\\\"\""},
      {"server.inline.port", "9090", "8080", "9090"},
      {"server.retry.max", "5", "max = 3", "max = 5"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> out = SetTomlValue(kBot, c.path, c.value);
    ASSERT_TRUE(out.ok()) << c.path << ": " << out.status();
    EXPECT_EQ(*out, With(kBot, c.from, c.to)) << c.path;
  }
}

TEST(TomlEditTest, WhatCannotBeDoneExactlyIsRefusedWithNothingChanged) {
  struct Case {
    const char* text;
    const char* path;
    const char* value;
    const char* expect;
  } cases[] = {
      {kBot, "features.cricket", "true", "found 0 times"},
      {kBot, "features", "true", "holds a table or a list"},
      {kBot, "features.soccer", "maybe", "holds a bool; 'maybe' is not true or false"},
      {kBot, "guild_id", "12.5", "holds an int; '12.5' is not a whole number"},
      {kBot, "limits.rate.burst", "fast", "holds a float; 'fast' is not a number"},
      {kBot, "guild_id", "99999999999999999999", "would not read back"},  // over int64
      {"a = [1, 2]\n", "a", "3", "holds a table or a list"},
      {"d = 1979-05-27\n", "d", "x", "holds a date or time"},
      {"s = \"\"\"\nline\n\"\"\"\n", "s", "x", "multi-line string"},
      {"a = 1\na = 2\n", "a", "3", "not valid TOML (line 2)"},
      {"[t]\nx = 1\n[t]\ny = 2\n", "t.x", "3", "not valid TOML"},
      {"x = 1\n", "x.y", "3", "is not inside a table"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> out = SetTomlValue(c.text, c.path, c.value);
    ASSERT_FALSE(out.ok()) << c.path << " -> " << *out;
    EXPECT_NE(out.status().message().find(c.expect), absl::string_view::npos)
        << c.path << ": " << out.status().message();
  }
}

// Random documents, random paths: exactly one line changes, and it reads
// back as the new value (toml++ parses the result inside SetTomlValue).
TEST(TomlEditTest, PropertyOneLineChanges) {
  std::mt19937 rng(19);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  int checked = 0;
  for (int round = 0; round < 300; ++round) {
    std::string doc = "# generated\n";
    std::vector<std::pair<std::string, int>> keys;  // dotted path, kind
    for (int t = 0; t < 1 + pick(3); ++t) {
      const std::string table = absl::StrCat("t", t, pick(2) ? ".sub" : "");
      absl::StrAppend(&doc, "\n[", table, "]", pick(2) ? "  # a table\n" : "\n");
      for (int k = 0; k < 1 + pick(4); ++k) {
        const int kind = pick(4);
        const std::string key = absl::StrCat("k", k);
        const std::string spaces(static_cast<size_t>(pick(3)), ' ');
        std::string v = kind == 0   ? (pick(2) ? "true" : "false")
                        : kind == 1 ? absl::StrCat(static_cast<int64_t>(rng()) << 20)
                        : kind == 2 ? absl::StrCat(pick(1000), ".", pick(100))
                                    : absl::StrCat("\"caf\xc3\xa9 ", pick(9), "\"");
        absl::StrAppend(&doc, key, spaces, "=", spaces, v, pick(3) == 0 ? " # note\n" : "\n");
        keys.emplace_back(absl::StrCat(table, ".", key), kind);
      }
    }
    const auto& [path, kind] = keys[static_cast<size_t>(pick(static_cast<int>(keys.size())))];
    const std::string value = kind == 0 ? "false" : kind == 1 ? "-42" : kind == 2 ? "3.25" : "n";
    absl::StatusOr<std::string> out = SetTomlValue(doc, path, value);
    ASSERT_TRUE(out.ok()) << doc << path << ": " << out.status();
    std::vector<std::string> before = absl::StrSplit(doc, '\n');
    std::vector<std::string> after = absl::StrSplit(*out, '\n');
    ASSERT_EQ(before.size(), after.size());
    int changed = 0;
    for (size_t i = 0; i < before.size(); ++i) changed += before[i] != after[i];
    EXPECT_LE(changed, 1) << doc << "\n" << *out;
    ++checked;
  }
  EXPECT_EQ(checked, 300);
}

TEST(ValueTypeTest, ATypeChangeHappensOnlyWhenTheStepSaysSo) {
  // Refused by default in every format...
  EXPECT_FALSE(SetJsonValue(R"({"port": 8080})", "port", "auto").ok());
  EXPECT_FALSE(SetYamlValue("port: 8080\n", "port", "auto").ok());
  EXPECT_FALSE(SetTomlValue("port = 8080\n", "port", "auto").ok());
  EXPECT_FALSE(SetPythonValue("C = {'port': 8080}\n", "port", "auto").ok());
  // ...done when told, spelled the format's way.
  EXPECT_EQ(*SetJsonValue(R"({"port": 8080})", "port", "auto", ValueType::kString),
            R"({"port": "auto"})");
  EXPECT_EQ(*SetYamlValue("port: 8080  # x\n", "port", "auto", ValueType::kString),
            "port: auto  # x\n");
  EXPECT_EQ(*SetYamlValue("port: 8080\n", "port", "true", ValueType::kString), "port: \"true\"\n");
  EXPECT_EQ(*SetTomlValue("port = 8080\n", "port", "auto", ValueType::kString),
            "port = \"auto\"\n");
  EXPECT_EQ(*SetPythonValue("C = {'port': 8080}\n", "port", "auto", ValueType::kString),
            "C = {'port': \"auto\"}\n");
  EXPECT_EQ(*SetJsonValue(R"({"on": "yes"})", "on", "True", ValueType::kBool), R"({"on": true})");
  EXPECT_EQ(*SetPythonValue("C = {\"on\": 'yes'}\n", "on", "false", ValueType::kBool),
            "C = {\"on\": False}\n");
  EXPECT_EQ(*SetTomlValue("ratio = 2\n", "ratio", "3", ValueType::kFloat), "ratio = 3.0\n");
  EXPECT_EQ(*SetYamlValue("n: '5'\n", "n", "6", ValueType::kInt), "n: 6\n");
  // A type is also a check: a value that does not fit is refused.
  absl::StatusOr<std::string> bad = SetJsonValue(R"({"n": 1})", "n", "1.5", ValueType::kInt);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("is set as an int; '1.5' is not a whole number"),
            absl::string_view::npos)
      << bad.status();
  EXPECT_FALSE(SetEnvValue("N=1\n", "N", "x", ValueType::kInt).ok());
  EXPECT_EQ(*SetEnvValue("N=1\n", "N", "2", ValueType::kInt), "N=2\n");
  // Python keeps the old value's type too now: a string stays a string in
  // its own quotes, a number stays a number.
  EXPECT_EQ(*SetPythonValue("C = {'mode': 'full'}\n", "mode", "safe"), "C = {'mode': 'safe'}\n");
  EXPECT_FALSE(SetPythonValue("C = {'n': 10}\n", "n", "ten").ok());
  EXPECT_EQ(*SetPythonValue("C = {'n': 10}\n", "n", "12345678901234567890"),
            "C = {'n': 12345678901234567890}\n");
}

// From an attacker's review: what a new value must never do to a file.
TEST(ValueTypeTest, NewValuesAreNeverCodeNorBrokenText) {
  // After None (or a name), text is a quoted, escaped string, not code.
  EXPECT_EQ(*SetPythonValue("C = {'x': None}\n", "x", "a\" + __import__('os') + \""),
            "C = {'x': \"a\\\" + __import__('os') + \\\"\"}\n");
  EXPECT_EQ(*SetPythonValue("C = {'x': None}\n", "x", "12"), "C = {'x': 12}\n");
  EXPECT_EQ(*SetPythonValue("C = {'x': 'a'}\n", "x", "l1\r\x01"), "C = {'x': 'l1\\r\\x01'}\n");
  EXPECT_FALSE(SetPythonValue("C = {'x': '''a'''}\n", "x", "b").ok());
  EXPECT_FALSE(SetPythonValue("C = {'x': r'a'}\n", "x", "b").ok());
  // Not UTF-8: refused in TOML and YAML (the JSON editor refuses it too).
  EXPECT_FALSE(SetTomlValue("s = 'a'\n", "s", "\xff").ok());
  EXPECT_FALSE(SetYamlValue("s: a\n", "s", "\xc3").ok());
  EXPECT_TRUE(IsUtf8("caf\xc3\xa9 \xf0\x9f\x8f\x80"));
  EXPECT_FALSE(IsUtf8("\xc0\xaf"));      // overlong
  EXPECT_FALSE(IsUtf8("\xed\xa0\x80"));  // a surrogate
  // YAML strings a YAML 1.1 reader (PyYAML) would take for numbers stay quoted.
  EXPECT_EQ(*SetYamlValue("s: a\n", "s", "0x10"), "s: \"0x10\"\n");
  EXPECT_EQ(*SetYamlValue("s: a\n", "s", "1_000"), "s: \"1_000\"\n");
  EXPECT_EQ(*SetYamlValue("s: a\n", "s", "NULL"), "s: \"NULL\"\n");
  // .env: a multi-line old value and a control character are refused.
  EXPECT_FALSE(SetEnvValue("K=\"a\nb\"\n", "K", "x").ok());
  EXPECT_FALSE(SetEnvValue("K=a\n", "K", "x\ry").ok());
  // .env keeps the kind of value the bot reads: a flag stays true/false, a
  // number stays a number, unless the step names a type.
  absl::StatusOr<std::string> yes = SetEnvValue("DEBUG=true\n", "DEBUG", "yes");
  ASSERT_FALSE(yes.ok());
  EXPECT_NE(yes.status().message().find("holds a bool (true); 'yes' is not true or false"),
            absl::string_view::npos)
      << yes.status();
  EXPECT_EQ(*SetEnvValue("DEBUG='True'\n", "DEBUG", "false"), "DEBUG='False'\n");
  EXPECT_FALSE(SetEnvValue("LIMIT=10\n", "LIMIT", "ten").ok());
  EXPECT_EQ(*SetEnvValue("LIMIT=10\n", "LIMIT", "2.5"), "LIMIT=2.5\n");
  EXPECT_EQ(*SetEnvValue("LIMIT=10\n", "LIMIT", "ten", ValueType::kString), "LIMIT=ten\n");
  EXPECT_EQ(*SetEnvValue("MODE=full\n", "MODE", "42"), "MODE=42\n");  // a string takes anything
}

TEST(ValueTypeTest, ConfigFilesAreEditedByTheirName) {
  EXPECT_EQ(*SetConfigValue("/bot/settings.toml", "a = true\n", "a", "false"), "a = false\n");
  absl::StatusOr<std::string> other = SetConfigValue("/bot/x.ini", "a=1\n", "a", "2");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find(".toml"), absl::string_view::npos);
}

}  // namespace
}  // namespace rollguard::agent
