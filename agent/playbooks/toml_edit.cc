// SetTomlValue (flag_edit.h): toml++ (toml_parser.h) parses the file and
// says where the value starts; the value's own bytes are replaced in the
// text, so comments, key order, spacing and every other value stay as
// written (#19). The edit is parsed again and must read back as asked.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "agent/playbooks/flag_edit.h"
#include "agent/playbooks/toml_parser.h"
#include "common/status_macros.h"

namespace rollguard::agent {
namespace {

absl::Status Refuse(absl::string_view key, absl::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat("key \"", key, "\" ", why, "; nothing changed"));
}

// The byte offset of toml++'s (line, column), both 1-based, in text it got
// Masked() (so a column is a byte). npos when the text is shorter.
size_t OffsetOf(absl::string_view t, toml::source_position pos) {
  size_t at = 0;
  for (uint32_t line = 1; line < pos.line; ++line) {
    at = t.find('\n', at);
    if (at == absl::string_view::npos) return at;
    ++at;
  }
  const size_t end = std::min(t.find('\n', at), t.size());
  return pos.column >= 1 && at + pos.column - 1 < end ? at + pos.column - 1
                                                      : absl::string_view::npos;
}

// The end of the one-line scalar starting at `begin`: after the closing
// quote of a "basic" or 'literal' string (multi-line ones are refused
// before this), else before whitespace, ',', ']', '}' or a comment.
size_t ScalarEnd(absl::string_view t, size_t begin) {
  const char q = t[begin];
  if (q == '"' || q == '\'') {
    for (size_t i = begin + 1; i < t.size() && t[i] != '\n'; ++i) {
      if (q == '"' && t[i] == '\\') {
        ++i;
      } else if (t[i] == q) {
        return i + 1;
      }
    }
    return absl::string_view::npos;
  }
  size_t i = begin;
  while (i < t.size() && t.substr(i, 1).find_first_of(" \t\r\n,]}#") == absl::string_view::npos) {
    ++i;
  }
  return i;
}

// `value` as a TOML string: 'literal' when the old one was and it can be,
// else "basic" with escapes.
std::string StringLiteral(absl::string_view value, char old_quote) {
  bool literal_ok = old_quote == '\'';
  for (char c : value) {
    if (c == '\'' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) literal_ok = false;
  }
  if (literal_ok) return absl::StrCat("'", value, "'");
  std::string out = "\"";
  for (char c : value) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      absl::StrAppend(&out, "\\", std::string(1, c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      absl::StrAppend(&out, absl::StrFormat("\\u%04X", u));
    } else {
      out.push_back(c);
    }
  }
  out += "\"";
  return out;
}

// toml++ 3.3 has undefined behaviour (an unreachable branch in its
// generated Unicode tables) when it classifies some non-ASCII characters,
// e.g. an 'é' between tokens. So it never sees one: every byte >= 0x80 is
// given to it as '?'. Byte positions stay the same (and a column is then a
// byte); inside strings and comments nothing else changes, and outside them
// TOML allows no non-ASCII, nor a '?', so invalid stays invalid.
std::string Masked(absl::string_view t) {
  std::string out(t);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  return out;
}

// The node at `dotted_key`, or why not.
absl::StatusOr<const toml::node*> Find(const toml::table& root, absl::string_view dotted_key) {
  const toml::node* cur = &root;
  for (absl::string_view part : absl::StrSplit(dotted_key, '.')) {
    const toml::table* table = cur->as_table();
    if (table == nullptr) return Refuse(dotted_key, "is not inside a table");
    cur = table->get(std::string_view(part.data(), part.size()));
    if (cur == nullptr) return Refuse(dotted_key, "found 0 times (must be exactly once)");
  }
  return cur;
}

// What `node` reads as, in the spelling the checks below compare. By its
// own type only: toml++'s value<int64_t>() of a large float overflows.
std::string ReadBack(const toml::node& node) {
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  if (const auto* i = node.as_integer()) return absl::StrCat(i->get());
  if (const auto* f = node.as_floating_point()) return absl::StrCat(f->get());
  return "";
}

}  // namespace

absl::StatusOr<std::string> SetTomlValue(absl::string_view text, absl::string_view dotted_key,
                                         absl::string_view value, ValueType type) {
  const std::string masked = Masked(text);
  toml::parse_result parsed = toml::parse(std::string_view(masked));
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    const std::string_view why = e.description();
    return absl::InvalidArgumentError(
        absl::StrCat("not valid TOML (line ", static_cast<uint64_t>(e.source().begin.line),
                     "): ", absl::string_view(why.data(), why.size())));
  }
  ASSIGN_OR_RETURN(const toml::node* node, Find(parsed.table(), dotted_key));
  if (node->is_table() || node->is_array()) {
    return Refuse(dotted_key, "holds a table or a list; set_flags sets single values");
  }
  if (node->is_date() || node->is_time() || node->is_date_time()) {
    return Refuse(dotted_key, "holds a date or time; set_flags sets strings, numbers and bools");
  }
  const size_t begin = OffsetOf(text, node->source().begin);
  if (begin >= text.size()) {
    return absl::InternalError(absl::StrCat("key \"", dotted_key, "\": value not located"));
  }
  if (text.substr(begin, 3) == "\"\"\"" || text.substr(begin, 3) == "'''") {
    return Refuse(dotted_key, "is a multi-line string; set_flags edits one-line values");
  }
  const size_t end = ScalarEnd(text, begin);
  if (end == absl::string_view::npos || end == begin) {
    return absl::InternalError(absl::StrCat("key \"", dotted_key, "\": value not located"));
  }
  const char quote = text[begin] == '"' || text[begin] == '\'' ? text[begin] : 0;
  // What the value must become: the old type unless `type` says otherwise.
  ValueType want = type;
  if (want == ValueType::kKeep) {
    want = node->is_string()    ? ValueType::kString
           : node->is_boolean() ? ValueType::kBool
           : node->is_integer() ? ValueType::kInt
                                : ValueType::kFloat;
  }
  absl::StatusOr<std::string> normal = NormalizeAs(want, value);
  if (!normal.ok()) {
    return Refuse(dotted_key, absl::StrCat(type == ValueType::kKeep ? "holds " : "is set as ",
                                           ValueTypeName(want), "; ", normal.status().message()));
  }
  if (want == ValueType::kString && !IsUtf8(value)) {
    return Refuse(dotted_key, "would get a value that is not valid UTF-8");
  }
  const std::string literal = want == ValueType::kString ? StringLiteral(value, quote) : *normal;
  std::string out(text);
  out.replace(begin, end - begin, literal);

  const std::string masked_out = Masked(out);
  toml::parse_result check = toml::parse(std::string_view(masked_out));
  absl::StatusOr<const toml::node*> again =
      check ? Find(check.table(), dotted_key) : absl::StatusOr<const toml::node*>(nullptr);
  std::string expect = want == ValueType::kString ? Masked(value) : *normal;
  if (want == ValueType::kFloat) {
    double d = 0;
    expect = absl::SimpleAtod(*normal, &d) ? absl::StrCat(d) : "";
  }
  if (!again.ok() || *again == nullptr || ReadBack(**again) != expect) {
    return absl::InternalError(absl::StrCat("editing \"", dotted_key, "\" would not read back as '",
                                            value, "'; nothing changed"));
  }
  return out;
}

}  // namespace rollguard::agent
