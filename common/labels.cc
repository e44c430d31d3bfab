#include "common/labels.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace rollguard {

bool IsValidMetricName(absl::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = absl::ascii_isalpha(c) || c == '_' || c == ':' || (i > 0 && absl::ascii_isdigit(c));
    if (!ok) return false;
  }
  return true;
}

bool IsValidLabelName(absl::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = absl::ascii_isalpha(c) || c == '_' || (i > 0 && absl::ascii_isdigit(c));
    if (!ok) return false;
  }
  return true;
}

bool HasControlCharacter(absl::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

absl::StatusOr<std::pair<std::string, std::string>> ParseLabelFlag(absl::string_view text) {
  size_t eq = text.find('=');
  if (eq == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("label '", text, "' must be key=value"));
  }
  std::string key(absl::StripAsciiWhitespace(text.substr(0, eq)));
  std::string value(absl::StripAsciiWhitespace(text.substr(eq + 1)));
  if (!IsValidLabelName(key)) {
    return absl::InvalidArgumentError(
        absl::StrCat("label '", text, "': name '", key, "' must match [a-zA-Z_][a-zA-Z0-9_]*"));
  }
  return std::make_pair(std::move(key), std::move(value));
}

std::string FormatLabels(const Labels& labels) {
  if (labels.empty()) return "";
  return absl::StrCat("{", absl::StrJoin(labels, ", ", absl::PairFormatter("=")), "}");
}

}  // namespace rollguard
