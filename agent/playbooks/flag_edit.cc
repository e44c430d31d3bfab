#include "agent/playbooks/flag_edit.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <yaml-cpp/yaml.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

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

std::string PythonLiteral(absl::string_view value) {
  std::string v = absl::AsciiStrToLower(value);
  if (v == "true") return "True";
  if (v == "false") return "False";
  if (v == "null" || v == "none") return "None";
  double d;
  if (absl::SimpleAtod(value, &d)) return std::string(value);
  if (!value.empty() && (value[0] == '"' || value[0] == '\'')) return std::string(value);
  return absl::StrCat("\"", value, "\"");
}

}  // namespace

absl::StatusOr<std::string> SetPythonDictValue(absl::string_view text, absl::string_view key,
                                               absl::string_view literal) {
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
  std::string out(text);
  out.replace(spans[0].first, spans[0].second - spans[0].first, std::string(literal));
  return out;
}

absl::StatusOr<std::string> SetJsonValue(absl::string_view text, absl::string_view dotted_key,
                                         absl::string_view value) {
  google::protobuf::Value root;
  if (!google::protobuf::util::JsonStringToMessage(std::string(text), &root).ok()) {
    return absl::InvalidArgumentError("not valid JSON");
  }
  google::protobuf::Value* cur = &root;
  for (absl::string_view part : absl::StrSplit(dotted_key, '.')) {
    if (!cur->has_struct_value()) {
      return absl::FailedPreconditionError(absl::StrCat("key \"", dotted_key, "\" not found"));
    }
    auto* fields = cur->mutable_struct_value()->mutable_fields();
    auto it = fields->find(std::string(part));
    if (it == fields->end()) {
      return absl::FailedPreconditionError(absl::StrCat("key \"", dotted_key, "\" not found"));
    }
    cur = &it->second;
  }
  std::string v = absl::AsciiStrToLower(value);
  double d;
  if (v == "true" || v == "false") {
    cur->set_bool_value(v == "true");
  } else if (absl::SimpleAtod(value, &d)) {
    cur->set_number_value(d);
  } else {
    cur->set_string_value(std::string(value));
  }
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(root, &out, opts);
  return out;
}

absl::StatusOr<std::string> SetYamlValue(absl::string_view text, absl::string_view dotted_key,
                                         absl::string_view value) {
  try {
    YAML::Node root = YAML::Load(std::string(text));
    std::vector<std::string> parts = absl::StrSplit(dotted_key, '.');
    std::vector<YAML::Node> path{root};
    for (const std::string& part : parts) {
      YAML::Node cur = path.back();
      if (!cur.IsMap() || !cur[part]) {
        return absl::FailedPreconditionError(absl::StrCat("key \"", dotted_key, "\" not found"));
      }
      path.push_back(cur[part]);
    }
    path.back() = YAML::Load(std::string(value));
    YAML::Emitter out;
    out << root;
    return std::string(out.c_str()) + "\n";
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not valid YAML: ", e.msg));
  }
}

absl::StatusOr<std::string> SetConfigValue(const std::string& path, absl::string_view text,
                                           absl::string_view key, absl::string_view value) {
  if (absl::EndsWith(path, ".py")) return SetPythonDictValue(text, key, PythonLiteral(value));
  if (absl::EndsWith(path, ".json")) return SetJsonValue(text, key, value);
  if (absl::EndsWith(path, ".yaml") || absl::EndsWith(path, ".yml")) {
    return SetYamlValue(text, key, value);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": can edit .py (dict literals), .json and .yaml files only"));
}

}  // namespace rollguard::agent
