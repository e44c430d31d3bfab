#include "agent/playbooks/flag_edit.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "agent/playbooks/json_span.h"
#include "common/status_macros.h"

namespace rollguard::agent {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// End of a Python literal value starting at `i`: a quoted string, or up to
// the next ',', '}', newline or comment.
size_t LiteralEnd(absl::string_view t, size_t i) {
  if (i < t.size() && (t[i] == '"' || t[i] == '\'')) {
    char q = t[i];
    for (size_t j = i + 1; j < t.size(); ++j) {
      if (t[j] == '\\') {
        ++j;
      } else if (t[j] == q) {
        return j + 1;
      }
    }
    return t.size();
  }
  size_t j = i;
  while (j < t.size() && t[j] != ',' && t[j] != '}' && t[j] != '\n' && t[j] != '#') ++j;
  while (j > i && IsSpace(t[j - 1])) --j;
  return j;
}

// `value` where the old value had no type of its own (None, a name): true/
// false and null/none as Python spells them, a number as written, anything
// else as a string (never as code).
std::string PythonLiteral(absl::string_view value);

// `value` as a JSON string literal; text that is not UTF-8 is refused (the
// library would throw, and nothing may escape this module).
absl::StatusOr<std::string> JsonStringLiteral(absl::string_view value) {
  try {
    return nlohmann::json(std::string(value)).dump();
  } catch (const nlohmann::json::exception&) {
    return absl::InvalidArgumentError(
        absl::StrCat("the value for a JSON string is not valid UTF-8; nothing changed"));
  }
}

// Where the value of dict key `key` is: [begin, end) of its literal.
absl::StatusOr<std::pair<size_t, size_t>> FindPythonValue(absl::string_view text,
                                                          absl::string_view key) {
  std::vector<std::pair<size_t, size_t>> spans;  // value [begin, end)
  for (char q : {'"', '\''}) {
    std::string needle = absl::StrCat(std::string(1, q), key, std::string(1, q));
    for (size_t pos = text.find(needle); pos != absl::string_view::npos;
         pos = text.find(needle, pos + 1)) {
      size_t i = pos + needle.size();
      while (i < text.size() && IsSpace(text[i])) ++i;
      if (i >= text.size() || text[i] != ':') continue;  // not a dict key
      ++i;
      while (i < text.size() && IsSpace(text[i])) ++i;
      spans.emplace_back(i, LiteralEnd(text, i));
    }
  }
  if (spans.size() != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("key \"", key, "\" found ", spans.size(),
                     " times (must be exactly once); nothing changed"));
  }
  return spans[0];
}

// `value` as a Python string literal between `q` quotes.
std::string PythonString(absl::string_view value, char q) {
  std::string out(1, q);
  for (char c : value) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == q || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20 || u == 0x7f) {
      absl::StrAppend(&out, absl::StrFormat("\\x%02x", u));
    } else {
      out.push_back(c);
    }
  }
  out.push_back(q);
  return out;
}

std::string PythonLiteral(absl::string_view value) {
  std::string v = absl::AsciiStrToLower(value);
  if (v == "true") return "True";
  if (v == "false") return "False";
  if (v == "null" || v == "none") return "None";
  if (NormalizeAs(ValueType::kFloat, value).ok()) {
    return std::string(absl::StripAsciiWhitespace(value));
  }
  return PythonString(value, '"');
}

// The type of the Python literal `old`; kKeep when it is none of the four
// (None, a name, an expression).
ValueType PythonType(absl::string_view old) {
  if (old == "True" || old == "False") return ValueType::kBool;
  if (!old.empty() && (old[0] == '"' || old[0] == '\'')) return ValueType::kString;
  if (NormalizeAs(ValueType::kInt, old).ok()) return ValueType::kInt;
  if (NormalizeAs(ValueType::kFloat, old).ok()) return ValueType::kFloat;
  return ValueType::kKeep;
}

}  // namespace

absl::StatusOr<std::string> SetPythonDictValue(absl::string_view text, absl::string_view key,
                                               absl::string_view literal) {
  ASSIGN_OR_RETURN(auto span, FindPythonValue(text, key));
  std::string out(text);
  out.replace(span.first, span.second - span.first, std::string(literal));
  return out;
}

absl::StatusOr<std::string> SetPythonValue(absl::string_view text, absl::string_view key,
                                           absl::string_view value, ValueType type) {
  ASSIGN_OR_RETURN(auto span, FindPythonValue(text, key));
  absl::string_view old = text.substr(span.first, span.second - span.first);
  // A triple-quoted or prefixed (r"", f"", b"") string is not a plain
  // literal this can rewrite exactly.
  const absl::string_view head = text.substr(span.first, 3);
  if (head == "\"\"\"" || head == "\'\'\'" ||
      (!old.empty() && absl::ascii_isalpha(static_cast<unsigned char>(old[0])) &&
       old.find_first_of("\"'") != absl::string_view::npos)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "key \"", key, "\" holds a triple-quoted or prefixed string; nothing changed"));
  }
  const ValueType had = PythonType(old);
  ValueType want = type == ValueType::kKeep ? had : type;
  std::string literal;
  if (want == ValueType::kKeep) {
    literal = PythonLiteral(value);  // None or a name before: spelled as the value reads
  } else if (want == ValueType::kString) {
    literal = PythonString(value, had == ValueType::kString ? old[0] : '"');
  } else {
    // An int and a float are both "a number" unless `type` says which.
    const ValueType check =
        type == ValueType::kKeep && want == ValueType::kInt ? ValueType::kFloat : want;
    absl::StatusOr<std::string> normal = NormalizeAs(check, value);
    if (!normal.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("key \"", key, "\" ", type == ValueType::kKeep ? "holds " : "is set as ",
                       ValueTypeName(want), "; ", normal.status().message(), "; nothing changed"));
    }
    if (want == ValueType::kBool) {
      literal = *normal == "true" ? "True" : "False";
    } else if (type == ValueType::kKeep) {
      literal = std::string(absl::StripAsciiWhitespace(value));  // the number as written
    } else {
      literal = *normal;
    }
  }
  std::string out(text);
  out.replace(span.first, span.second - span.first, literal);
  return out;
}

absl::StatusOr<std::string> SetJsonValue(absl::string_view text, absl::string_view dotted_key,
                                         absl::string_view value, ValueType type) {
  ASSIGN_OR_RETURN(JsonSpan span, FindJsonValue(text, dotted_key));
  if (type != ValueType::kKeep) {
    if (span.kind == JsonKind::kObject || span.kind == JsonKind::kArray) {
      return absl::FailedPreconditionError(absl::StrCat(
          "key \"", dotted_key, "\" holds an object or a list; set_flags sets single values"));
    }
    absl::StatusOr<std::string> normal = NormalizeAs(type, value);
    if (!normal.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("key \"", dotted_key, "\" is set as ", ValueTypeName(type), "; ",
                       normal.status().message(), "; nothing changed"));
    }
    std::string literal = *normal;
    if (type == ValueType::kString) {
      ASSIGN_OR_RETURN(literal, JsonStringLiteral(value));
    }
    std::string out(text);
    out.replace(span.begin, span.end - span.begin, literal);
    return out;
  }
  // The new value keeps the old one's type: a flag stays a bool, a number
  // keeps the digits given (never through a double), text is a JSON string.
  const std::string lower = absl::AsciiStrToLower(value);
  const bool is_bool = lower == "true" || lower == "false";
  nlohmann::json parsed = nlohmann::json::parse(value.begin(), value.end(), nullptr, false);
  const bool is_number = !parsed.is_discarded() && parsed.is_number();
  std::string literal;
  switch (span.kind) {
    case JsonKind::kBool:
      if (!is_bool) {
        return absl::FailedPreconditionError(absl::StrCat(
            "key \"", dotted_key, "\" holds true/false; '", value, "' is not; nothing changed"));
      }
      literal = lower;
      break;
    case JsonKind::kNumber:
      if (!is_number) {
        return absl::FailedPreconditionError(absl::StrCat(
            "key \"", dotted_key, "\" holds a number; '", value, "' is not one; nothing changed"));
      }
      literal = std::string(absl::StripAsciiWhitespace(value));
      break;
    case JsonKind::kString: {
      ASSIGN_OR_RETURN(literal, JsonStringLiteral(value));
      break;
    }
    case JsonKind::kNull:
      if (is_bool) {
        literal = lower;
      } else if (is_number) {
        literal = std::string(absl::StripAsciiWhitespace(value));
      } else {
        ASSIGN_OR_RETURN(literal, JsonStringLiteral(value));
      }
      break;
    case JsonKind::kObject:
    case JsonKind::kArray:
      return absl::FailedPreconditionError(absl::StrCat(
          "key \"", dotted_key, "\" holds an object or a list; set_flags sets single values"));
  }
  std::string out(text);
  out.replace(span.begin, span.end - span.begin, literal);
  if (!nlohmann::json::accept(out)) {
    return absl::InternalError(absl::StrCat("editing \"", dotted_key, "\" broke the JSON"));
  }
  return out;
}

absl::StatusOr<std::string> SetConfigValue(const std::string& path, absl::string_view text,
                                           absl::string_view key, absl::string_view value,
                                           ValueType type) {
  if (absl::EndsWith(path, ".py")) return SetPythonValue(text, key, value, type);
  if (absl::EndsWith(path, ".json")) return SetJsonValue(text, key, value, type);
  if (absl::EndsWith(path, ".yaml") || absl::EndsWith(path, ".yml")) {
    return SetYamlValue(text, key, value, type);
  }
  if (absl::EndsWith(path, ".toml")) return SetTomlValue(text, key, value, type);
  if (absl::EndsWith(path, ".env") || absl::EndsWith(path, "/.env")) {
    return SetEnvValue(text, key, value, type);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": can edit .py (dict literals), .json, .yaml, .toml and .env files only"));
}

}  // namespace rollguard::agent
