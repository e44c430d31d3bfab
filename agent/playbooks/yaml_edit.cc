// SetYamlValue (flag_edit.h): yaml-cpp finds the value and marks where it
// starts; its bytes are replaced in the text itself, so comments, key order,
// quoting style elsewhere and spacing stay as written (#19).
#include <yaml-cpp/yaml.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "agent/playbooks/flag_edit.h"

namespace rollguard::agent {
namespace {

absl::Status NotFound(absl::string_view path, size_t times) {
  return absl::FailedPreconditionError(absl::StrCat(
      "key \"", path, "\" found ", times, " times (must be exactly once); nothing changed"));
}

// The end of the scalar that starts at `begin`: after its closing quote, or,
// for a plain scalar, before a comment, a line end or a flow delimiter.
size_t ScalarEnd(absl::string_view t, size_t begin) {
  const char q = t[begin];
  if (q == '"' || q == '\'') {
    for (size_t i = begin + 1; i < t.size(); ++i) {
      if (q == '"' && t[i] == '\\') {
        ++i;
      } else if (t[i] == q) {
        if (q == '\'' && i + 1 < t.size() && t[i + 1] == '\'') {
          ++i;  // '' is an escaped quote
          continue;
        }
        return i + 1;
      }
    }
    return t.size();
  }
  size_t i = begin;
  while (i < t.size() && t[i] != '\n' && t[i] != '\r' && t[i] != ',' && t[i] != '}' &&
         t[i] != ']' && !(t[i] == '#' && i > begin && (t[i - 1] == ' ' || t[i - 1] == '\t'))) {
    ++i;
  }
  while (i > begin && (t[i - 1] == ' ' || t[i - 1] == '\t')) --i;
  return i;
}

bool IsYamlBool(absl::string_view v) {
  std::string l = absl::AsciiStrToLower(v);
  return l == "true" || l == "false" || l == "yes" || l == "no" || l == "on" || l == "off";
}
bool IsNumber(absl::string_view v) {
  double d;
  return !v.empty() && absl::SimpleAtod(v, &d);
}

// `value` as a YAML string in the old value's quoting style; plain only when
// it would read back as the same string.
std::string StringLiteral(absl::string_view value, char old_quote) {
  // Plain only when it starts with a letter and is no YAML 1.1 word
  // (PyYAML reads 0x10, 1_000, .inf and dates as numbers and dates).
  const std::string lower = absl::AsciiStrToLower(value);
  const bool plain_ok =
      old_quote != '"' && old_quote != '\'' && !value.empty() &&
      absl::ascii_isalpha(static_cast<unsigned char>(value[0])) && !IsYamlBool(value) &&
      lower != "null" && lower != "y" && lower != "n" && !IsNumber(value) && value != "null" &&
      value != "~" && value.find_first_of(":#,[]{}&*!|>'\"%@`\n\t\\") == absl::string_view::npos &&
      value.front() != ' ' && value.back() != ' ' && value.front() != '-' && value.front() != '?';
  if (plain_ok) return std::string(value);
  if (old_quote == '\'' && value.find('\n') == absl::string_view::npos) {
    return absl::StrCat("'", absl::StrReplaceAll(value, {{"'", "''"}}), "'");
  }
  return absl::StrCat(
      "\"",
      absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}, {"\t", "\\t"}}),
      "\"");
}

}  // namespace

absl::StatusOr<std::string> SetYamlValue(absl::string_view text, absl::string_view dotted_key,
                                         absl::string_view value, ValueType type) {
  try {
    YAML::Node root = YAML::Load(std::string(text));
    YAML::Node cur = root;
    for (absl::string_view part : absl::StrSplit(dotted_key, '.')) {
      if (!cur.IsMap()) return NotFound(dotted_key, 0);
      size_t times = 0;
      YAML::Node next;
      for (const auto& kv : cur) {
        if (kv.first.IsScalar() && kv.first.Scalar() == part) {
          ++times;
          next = kv.second;
        }
      }
      if (times != 1) return NotFound(dotted_key, times);
      cur = next;
    }
    if (!cur.IsScalar()) {
      return absl::FailedPreconditionError(
          absl::StrCat("key \"", dotted_key,
                       "\" holds a mapping or a list; set_flags sets single "
                       "values"));
    }
    const size_t begin = static_cast<size_t>(cur.Mark().pos);
    if (begin >= text.size() || text[begin] == '|' || text[begin] == '>') {
      return absl::FailedPreconditionError(absl::StrCat(
          "key \"", dotted_key, "\" is a block scalar; set_flags edits one-line values"));
    }
    const size_t end = ScalarEnd(text, begin);
    const char quote = text[begin] == '"' || text[begin] == '\'' ? text[begin] : 0;
    const std::string old = cur.Scalar();
    // A plain scalar continued on the next line would be cut short here; a
    // quoted one that spans lines would fold into one.
    if ((quote == 0 && text.substr(begin, end - begin) != old) ||
        text.substr(begin, end - begin).find_first_of("\r\n") != absl::string_view::npos) {
      return absl::FailedPreconditionError(
          absl::StrCat("key \"", dotted_key, "\" spans lines; set_flags edits one-line values"));
    }
    if (!IsUtf8(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("key \"", dotted_key, "\": the value is not valid UTF-8; nothing changed"));
    }
    std::string literal;
    std::string expect = std::string(value);  // what the edited value must read back as
    if (type != ValueType::kKeep) {
      absl::StatusOr<std::string> normal = NormalizeAs(type, value);
      if (!normal.ok()) {
        return absl::FailedPreconditionError(
            absl::StrCat("key \"", dotted_key, "\" is set as ", ValueTypeName(type), "; ",
                         normal.status().message(), "; nothing changed"));
      }
      literal = type == ValueType::kString ? StringLiteral(value, quote) : *normal;
      expect = type == ValueType::kString ? std::string(value) : *normal;
    } else if (quote == 0 && IsYamlBool(old)) {
      if (!IsYamlBool(value)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "key \"", dotted_key, "\" holds true/false; '", value, "' is not; nothing changed"));
      }
      literal = absl::AsciiStrToLower(value);
      expect = literal;
    } else if (quote == 0 && IsNumber(old)) {
      if (!IsNumber(value)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "key \"", dotted_key, "\" holds a number; '", value, "' is not one; nothing changed"));
      }
      literal = std::string(value);
    } else {
      literal = StringLiteral(value, quote);
    }
    std::string out(text);
    out.replace(begin, end - begin, literal);
    // The edit must read back as the value asked for, with nothing else moved.
    YAML::Node check = YAML::Load(out);
    for (absl::string_view part : absl::StrSplit(dotted_key, '.')) check = check[std::string(part)];
    if (!check.IsScalar() || check.Scalar() != expect) {
      return absl::InternalError(absl::StrCat(
          "editing \"", dotted_key, "\" would not read back as '", value, "'; nothing changed"));
    }
    return out;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not valid YAML: ", e.msg));
  }
}

}  // namespace rollguard::agent
