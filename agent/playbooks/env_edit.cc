// SetEnvValue (flag_edit.h): a .env file's KEY=value line, edited in place.
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "agent/playbooks/flag_edit.h"

namespace rollguard::agent {
namespace {

struct Span {
  size_t begin = 0, end = 0;  // the value's bytes, quotes included
  bool unterminated = false;  // a quote not closed on its line: a multi-line value
};

// The value of `key` on `line` (starting at `offset` in the file), if the
// line assigns it: optional "export ", KEY, optional spaces, '='.
bool ValueOnLine(absl::string_view line, size_t offset, absl::string_view key, Span* span) {
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (absl::StartsWith(line.substr(i), "export ")) {
    i += 7;
    while (i < line.size() && line[i] == ' ') ++i;
  }
  if (!absl::StartsWith(line.substr(i), key)) return false;
  i += key.size();
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i >= line.size() || line[i] != '=') return false;
  ++i;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  size_t end = i;
  if (i < line.size() && (line[i] == '"' || line[i] == '\'')) {
    const char q = line[i];
    end = i + 1;
    while (end < line.size() && line[end] != q) end += (q == '"' && line[end] == '\\') ? 2 : 1;
    span->unterminated = end >= line.size();
    end = std::min(line.size(), end + 1);
  } else {
    while (end < line.size() && !(line[end] == '#' && end > i && line[end - 1] == ' ')) ++end;
    while (end > i && (line[end - 1] == ' ' || line[end - 1] == '\t' || line[end - 1] == '\r')) {
      --end;
    }
  }
  span->begin = offset + i;
  span->end = offset + end;
  return true;
}

// true/false in the old value's case style (True, TRUE, true).
std::string SameCase(absl::string_view old, absl::string_view value) {
  std::string v = absl::AsciiStrToLower(value);
  if (!old.empty() && absl::ascii_isupper(old[0])) {
    if (old.size() > 1 && absl::ascii_isupper(old[1])) return absl::AsciiStrToUpper(v);
    v[0] = absl::ascii_toupper(v[0]);
  }
  return v;
}

bool IsBoolWord(absl::string_view v) {
  std::string l = absl::AsciiStrToLower(v);
  return l == "true" || l == "false";
}

}  // namespace

absl::StatusOr<std::string> SetEnvValue(absl::string_view text, absl::string_view key,
                                        absl::string_view value_in, ValueType type) {
  absl::StatusOr<std::string> normal = NormalizeAs(type, value_in);
  if (!normal.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("key \"", key, "\" is set as ", ValueTypeName(type), "; ",
                     normal.status().message(), "; nothing changed"));
  }
  const absl::string_view value = *normal;
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
      return absl::InvalidArgumentError(
          "a .env value cannot hold a line break or a control character; nothing changed");
    }
  }
  std::vector<Span> found;
  size_t offset = 0;
  while (offset <= text.size()) {
    size_t nl = text.find('\n', offset);
    absl::string_view line =
        text.substr(offset, nl == absl::string_view::npos ? absl::string_view::npos : nl - offset);
    Span span;
    if (ValueOnLine(line, offset, key, &span)) found.push_back(span);
    if (nl == absl::string_view::npos) break;
    offset = nl + 1;
  }
  if (found.size() != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("key \"", key, "\" found ", found.size(),
                     " times (must be exactly once); nothing changed"));
  }
  const Span s = found[0];
  if (s.unterminated) {
    return absl::FailedPreconditionError(absl::StrCat(
        "key \"", key, "\" holds a multi-line value; set_flags edits one-line values"));
  }
  absl::string_view old = text.substr(s.begin, s.end - s.begin);
  const char quote = !old.empty() && (old[0] == '"' || old[0] == '\'') ? old[0] : 0;
  absl::string_view bare = quote ? old.substr(1, old.size() >= 2 ? old.size() - 2 : 0) : old;
  // .env has no types, but the program reading it does: without a `type:`,
  // a flag that was true/false stays a bool word and a number stays a number
  // (DEBUG=true set to "yes" would read as false in most bots).
  if (type == ValueType::kKeep) {
    const bool was_bool = IsBoolWord(bare);
    const bool was_number = !was_bool && NormalizeAs(ValueType::kFloat, bare).ok();
    if ((was_bool && !IsBoolWord(value)) ||
        (was_number && !NormalizeAs(ValueType::kFloat, value).ok())) {
      return absl::FailedPreconditionError(
          absl::StrCat("key \"", key, "\" holds ", was_bool ? "a bool" : "a number", " (", bare,
                       "); '", value, "' is not ", was_bool ? "true or false" : "a number",
                       " (give the step `type: string` to change what it holds); nothing changed"));
    }
  }
  std::string literal;
  if (IsBoolWord(bare) && IsBoolWord(value)) {
    literal = absl::StrCat(quote ? std::string(1, quote) : "", SameCase(bare, value),
                           quote ? std::string(1, quote) : "");
  } else if (quote == '\'' && value.find('\'') == absl::string_view::npos) {
    literal = absl::StrCat("'", value, "'");
  } else if (quote != 0 || value.find_first_of(" \t#'\"\\$`") != absl::string_view::npos) {
    literal = absl::StrCat(
        "\"",
        absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\"", "\\\""}, {"$", "\\$"}, {"`", "\\`"}}),
        "\"");
  } else {
    literal = std::string(value);
  }
  std::string out(text);
  out.replace(s.begin, s.end - s.begin, literal);
  return out;
}

}  // namespace rollguard::agent
