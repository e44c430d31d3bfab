#include "common/config_node.h"

#include <fstream>
#include <sstream>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/duration.h"
#include "common/files.h"
#include "common/status_macros.h"

namespace rollguard {

ConfigNode::ConfigNode(YAML::Node node, std::string file, std::string prefix)
    : node_(std::move(node)), file_(std::move(file)), prefix_(std::move(prefix)) {}

absl::StatusOr<ConfigNode> ConfigNode::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open config file"));
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str(), path);
}

absl::StatusOr<ConfigNode> ConfigNode::Parse(absl::string_view text, const std::string& file) {
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (root.IsNull()) return ConfigNode(YAML::Node(YAML::NodeType::Map), file, "");
    if (!root.IsMap()) {
      return absl::InvalidArgumentError(absl::StrCat(file, ":", root.Mark().line + 1,
                                                     ": the top level must be a mapping of keys"));
    }
    return ConfigNode(root, file, "");
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
}

bool ConfigNode::Has(absl::string_view key) const {
  try {
    YAML::Node v = node_[std::string(key)];
    return v.IsDefined() && !v.IsNull();
  } catch (const YAML::Exception&) {
    return false;
  }
}

bool ConfigNode::HasNull(absl::string_view key) const {
  try {
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key) return it->second.IsNull();
    }
  } catch (const YAML::Exception&) {
  }
  return false;
}

absl::StatusOr<std::vector<std::string>> ConfigNode::Keys() const {
  return Guard<std::vector<std::string>>("", [&]() -> absl::StatusOr<std::vector<std::string>> {
    std::vector<std::string> out;
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      if (!it->first.IsScalar()) return NotAName(it->first);
      // yaml-cpp keeps both of a repeated key and lookups take the first: a
      // second `listen:` (or an uncommented second `service:`) would be
      // silently ignored.
      if (absl::c_linear_search(out, it->first.Scalar())) {
        return absl::InvalidArgumentError(
            absl::StrCat(file_, ":", it->first.Mark().line + 1, ": ", prefix_, it->first.Scalar(),
                         ": given twice (first on line ", LineOf(it->first.Scalar()), ")"));
      }
      out.push_back(it->first.Scalar());
    }
    return out;
  });
}

absl::Status ConfigNode::NotAName(const YAML::Node& key) const {
  return absl::InvalidArgumentError(absl::StrCat(file_, ":", key.Mark().line + 1, ": ", prefix_,
                                                 "<key>: a key must be a plain name, not a ",
                                                 key.IsSequence() ? "list" : "mapping"));
}

int ConfigNode::LineOf(absl::string_view key) const {
  try {
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key) return it->first.Mark().line + 1;
    }
    return node_.Mark().line + 1;
  } catch (const YAML::Exception&) {
    return 0;
  }
}

absl::StatusOr<YAML::Node> ConfigNode::Lookup(absl::string_view key) const {
  try {
    YAML::Node v = node_[std::string(key)];
    if (!v.IsDefined()) return Error(key, "missing");
    return v;
  } catch (const YAML::Exception& e) {
    return Error(key, e.msg);
  }
}

absl::Status ConfigNode::Error(absl::string_view key, absl::string_view message) const {
  return absl::InvalidArgumentError(
      absl::StrCat(file_, ":", LineOf(key), ": ", prefix_, key, ": ", message));
}

absl::Status ConfigNode::AllowOnly(std::initializer_list<absl::string_view> keys) const {
  return AllowOnly(absl::MakeConstSpan(keys.begin(), keys.size()));
}

absl::Status ConfigNode::AllowOnly(absl::Span<const absl::string_view> keys) const {
  ASSIGN_OR_RETURN(std::vector<std::string> names, Keys());
  for (const std::string& k : names) {
    if (absl::c_linear_search(keys, k)) continue;
    return absl::InvalidArgumentError(absl::StrCat(file_, ":", LineOf(k), ": unknown key '",
                                                   prefix_, k,
                                                   "' (allowed: ", absl::StrJoin(keys, ", "), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ConfigNode::Scalar(absl::string_view key) const {
  ASSIGN_OR_RETURN(YAML::Node v, Lookup(key));
  if (!v.IsScalar()) return Error(key, "expected a single value");
  return v.Scalar();
}

absl::StatusOr<std::string> ConfigNode::String(absl::string_view key) const { return Scalar(key); }

absl::StatusOr<absl::Duration> ConfigNode::Duration(absl::string_view key) const {
  ASSIGN_OR_RETURN(std::string s, Scalar(key));
  auto d = ParseDuration(s);
  if (!d.ok()) return Error(key, d.status().message());
  return *d;
}

absl::StatusOr<int64_t> ConfigNode::Int(absl::string_view key, int64_t min, int64_t max) const {
  ASSIGN_OR_RETURN(std::string s, Scalar(key));
  int64_t v = 0;
  if (!absl::SimpleAtoi(s, &v)) return Error(key, absl::StrCat("'", s, "' is not a whole number"));
  if (v < min || v > max) {
    return Error(key, absl::StrCat(v, " is out of range [", min, ", ", max, "]"));
  }
  return v;
}

absl::StatusOr<uint64_t> ConfigNode::Bytes(absl::string_view key, uint64_t min,
                                           uint64_t max) const {
  ASSIGN_OR_RETURN(std::string s, Scalar(key));
  absl::string_view number = absl::StripAsciiWhitespace(s);
  uint64_t scale = 1;
  static constexpr std::pair<absl::string_view, uint64_t> kUnits[] = {{"KiB", 1ull << 10},
                                                                      {"MiB", 1ull << 20},
                                                                      {"GiB", 1ull << 30},
                                                                      {"KB", 1ull << 10},
                                                                      {"MB", 1ull << 20},
                                                                      {"GB", 1ull << 30},
                                                                      {"B", 1}};
  for (const auto& [unit, factor] : kUnits) {
    if (absl::ConsumeSuffix(&number, unit)) {
      scale = factor;
      break;
    }
  }
  uint64_t v = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(number), &v) || v > max / scale) {
    return Error(
        key, absl::StrCat("'", s, "' is not a size (bytes, or e.g. 512KB, 64MB, 1GB; at most ", max,
                          " bytes)"));
  }
  v *= scale;
  if (v < min || v > max) {
    return Error(key, absl::StrCat(s, " is out of range [", min, ", ", max, "] bytes"));
  }
  return v;
}

absl::StatusOr<bool> ConfigNode::Bool(absl::string_view key) const {
  ASSIGN_OR_RETURN(std::string s, Scalar(key));
  bool v = false;
  if (!absl::SimpleAtob(s, &v)) return Error(key, absl::StrCat("'", s, "' is not true/false"));
  return v;
}

absl::StatusOr<Labels> ConfigNode::StringMap(absl::string_view key, bool any_keys) const {
  ASSIGN_OR_RETURN(YAML::Node v, Lookup(key));
  if (!v.IsMap()) return Error(key, "expected a mapping of name: value");
  return Guard<Labels>(key, [&]() -> absl::StatusOr<Labels> {
    Labels out;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!it->first.IsScalar()) return NotAName(it->first);
      const std::string& name = it->first.Scalar();
      if (!it->second.IsScalar()) {
        return Error(key, absl::StrCat("value of '", name, "' must be a single value"));
      }
      if (!any_keys && !IsValidLabelName(name)) {
        return Error(key,
                     absl::StrCat("label name '", name, "' must match [a-zA-Z_][a-zA-Z0-9_]*"));
      }
      out[name] = it->second.Scalar();
    }
    return out;
  });
}

absl::StatusOr<ConfigNode> ConfigNode::Child(absl::string_view key) const {
  ASSIGN_OR_RETURN(YAML::Node v, Lookup(key));
  if (!v.IsMap()) return Error(key, "expected a mapping");
  return ConfigNode(v, file_, absl::StrCat(prefix_, key, "."));
}

absl::StatusOr<std::vector<std::string>> ConfigNode::Strings(absl::string_view key) const {
  ASSIGN_OR_RETURN(YAML::Node v, Lookup(key));
  std::vector<std::string> out;
  if (v.IsScalar()) {
    out.push_back(v.Scalar());
    return out;
  }
  if (!v.IsSequence()) return Error(key, "expected a value or a list of values");
  for (const YAML::Node& e : v) {
    if (!e.IsScalar()) {
      return Error(key, absl::StrCat("element ", out.size(), " must be a single value"));
    }
    out.push_back(e.Scalar());
  }
  return out;
}

absl::StatusOr<std::vector<ConfigNode>> ConfigNode::MapList(absl::string_view key) const {
  ASSIGN_OR_RETURN(YAML::Node v, Lookup(key));
  if (!v.IsSequence()) return Error(key, "expected a list");
  std::vector<ConfigNode> out;
  for (const YAML::Node& e : v) {
    const size_t i = out.size();
    if (!e.IsMap()) return Error(key, absl::StrCat("element ", i, " must be a mapping of keys"));
    out.push_back(ConfigNode(e, file_, absl::StrCat(prefix_, key, "[", i, "].")));
  }
  return out;
}

std::filesystem::path ConfigNode::dir() const {
  std::error_code ec;  // absolute() throws without it (e.g. no working directory)
  std::filesystem::path p = std::filesystem::absolute(std::filesystem::path(file_), ec);
  return (ec ? std::filesystem::path(file_) : p).parent_path();
}

absl::StatusOr<std::string> ConfigNode::Path(absl::string_view key) const {
  ASSIGN_OR_RETURN(std::string s, Scalar(key));
  if (s.empty()) return Error(key, "empty path");
  std::filesystem::path p(s);
  if (p.is_relative()) p = dir() / p;
  return p.lexically_normal().string();
}

absl::StatusOr<std::string> ConfigNode::SecretFile(absl::string_view key) const {
  ASSIGN_OR_RETURN(std::string path, Path(key));
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return Error(key, text.status().message());
  std::string line(absl::StripAsciiWhitespace(text->substr(0, text->find('\n'))));
  if (line.empty()) return Error(key, absl::StrCat(path, " is empty"));
  return line;
}

}  // namespace rollguard
