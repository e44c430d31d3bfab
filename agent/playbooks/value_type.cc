#include "agent/playbooks/value_type.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace rollguard::agent {
namespace {

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// -?digits without a leading zero: what JSON, YAML and TOML agree on.
bool IsInteger(absl::string_view s) {
  absl::ConsumePrefix(&s, "-");
  return AllDigits(s) && (s.size() == 1 || s[0] != '0');
}

// JSON's number grammar: an integer, then an optional fraction and exponent.
bool IsDecimal(absl::string_view s) {
  size_t i = s.find_first_of(".eE");
  if (!IsInteger(s.substr(0, i))) return false;
  if (i == absl::string_view::npos) return true;
  absl::string_view rest = s.substr(i);
  if (absl::ConsumePrefix(&rest, ".")) {
    size_t e = rest.find_first_of("eE");
    if (!AllDigits(rest.substr(0, e))) return false;
    rest = e == absl::string_view::npos ? "" : rest.substr(e);
  }
  if (rest.empty()) return true;
  rest.remove_prefix(1);  // e or E
  if (!absl::ConsumePrefix(&rest, "-")) absl::ConsumePrefix(&rest, "+");
  return AllDigits(rest);
}

}  // namespace

absl::StatusOr<ValueType> ParseValueType(absl::string_view name) {
  if (name == "string") return ValueType::kString;
  if (name == "int") return ValueType::kInt;
  if (name == "bool") return ValueType::kBool;
  if (name == "float") return ValueType::kFloat;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown type '", name, "' (string, int, bool or float)"));
}

const char* ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "a string";
    case ValueType::kInt:
      return "an int";
    case ValueType::kBool:
      return "a bool";
    case ValueType::kFloat:
      return "a float";
    case ValueType::kKeep:
      break;
  }
  return "the value's own type";
}

absl::StatusOr<std::string> NormalizeAs(ValueType type, absl::string_view value) {
  const absl::string_view v = absl::StripAsciiWhitespace(value);
  switch (type) {
    case ValueType::kKeep:
    case ValueType::kString:
      return std::string(value);
    case ValueType::kBool: {
      std::string lower = absl::AsciiStrToLower(v);
      if (lower == "true" || lower == "false") return lower;
      return absl::InvalidArgumentError(absl::StrCat("'", value, "' is not true or false"));
    }
    case ValueType::kInt:
      if (IsInteger(v)) return std::string(v);
      return absl::InvalidArgumentError(absl::StrCat("'", value, "' is not a whole number"));
    case ValueType::kFloat:
      if (!IsDecimal(v)) {
        return absl::InvalidArgumentError(absl::StrCat("'", value, "' is not a number"));
      }
      return v.find_first_of(".eE") == absl::string_view::npos ? absl::StrCat(v, ".0")
                                                               : std::string(v);
  }
  return std::string(value);
}

bool IsUtf8(absl::string_view t) {
  for (size_t i = 0; i < t.size();) {
    const unsigned char c = static_cast<unsigned char>(t[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;  // continuation bytes
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (t.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      const unsigned char cc = static_cast<unsigned char>(t[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace rollguard::agent
