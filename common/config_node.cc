#include "common/config_node.h"

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/duration.h"

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
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (it->first.Scalar() == key) return it->second.IsNull();
  }
  return false;
}

std::vector<std::string> ConfigNode::Keys() const {
  std::vector<std::string> out;
  for (auto it = node_.begin(); it != node_.end(); ++it) out.push_back(it->first.Scalar());
  return out;
}

int ConfigNode::LineOf(absl::string_view key) const {
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (it->first.Scalar() == key) return it->first.Mark().line + 1;
  }
  return node_.Mark().line + 1;
}

absl::Status ConfigNode::Error(absl::string_view key, absl::string_view message) const {
  return absl::InvalidArgumentError(
      absl::StrCat(file_, ":", LineOf(key), ": ", prefix_, key, ": ", message));
}

absl::Status ConfigNode::AllowOnly(std::initializer_list<absl::string_view> keys) const {
  return AllowOnly(absl::MakeConstSpan(keys.begin(), keys.size()));
}

absl::Status ConfigNode::AllowOnly(absl::Span<const absl::string_view> keys) const {
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string& k = it->first.Scalar();
    bool known = false;
    for (absl::string_view a : keys) known = known || a == k;
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_, ":", it->first.Mark().line + 1, ": unknown key '", prefix_, k,
                       "' (allowed: ", absl::StrJoin(keys, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ConfigNode::Scalar(absl::string_view key) const {
  YAML::Node v = node_[std::string(key)];
  if (!v.IsScalar()) return Error(key, "expected a single value");
  return v.Scalar();
}

absl::StatusOr<std::string> ConfigNode::String(absl::string_view key) const { return Scalar(key); }

absl::StatusOr<absl::Duration> ConfigNode::Duration(absl::string_view key) const {
  auto s = Scalar(key);
  if (!s.ok()) return s.status();
  auto d = ParseDuration(*s);
  if (!d.ok()) return Error(key, d.status().message());
  return *d;
}

absl::StatusOr<int64_t> ConfigNode::Int(absl::string_view key, int64_t min, int64_t max) const {
  auto s = Scalar(key);
  if (!s.ok()) return s.status();
  int64_t v = 0;
  if (!absl::SimpleAtoi(*s, &v))
    return Error(key, absl::StrCat("'", *s, "' is not a whole number"));
  if (v < min || v > max) {
    return Error(key, absl::StrCat(v, " is out of range [", min, ", ", max, "]"));
  }
  return v;
}

absl::StatusOr<bool> ConfigNode::Bool(absl::string_view key) const {
  auto s = Scalar(key);
  if (!s.ok()) return s.status();
  bool v = false;
  if (!absl::SimpleAtob(*s, &v)) return Error(key, absl::StrCat("'", *s, "' is not true/false"));
  return v;
}

absl::StatusOr<Labels> ConfigNode::StringMap(absl::string_view key, bool any_keys) const {
  YAML::Node v = node_[std::string(key)];
  if (!v.IsMap()) return Error(key, "expected a mapping of name: value");
  Labels out;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!it->second.IsScalar()) {
      return Error(key, absl::StrCat("value of '", it->first.Scalar(), "' must be a single value"));
    }
    if (!any_keys && !IsValidLabelName(it->first.Scalar())) {
      return Error(key, absl::StrCat("label name '", it->first.Scalar(),
                                     "' must match [a-zA-Z_][a-zA-Z0-9_]*"));
    }
    out[it->first.Scalar()] = it->second.Scalar();
  }
  return out;
}

absl::StatusOr<ConfigNode> ConfigNode::Child(absl::string_view key) const {
  YAML::Node v = node_[std::string(key)];
  if (!v.IsMap()) return Error(key, "expected a mapping");
  return ConfigNode(v, file_, absl::StrCat(prefix_, key, "."));
}

absl::StatusOr<std::vector<std::string>> ConfigNode::Strings(absl::string_view key) const {
  YAML::Node v = node_[std::string(key)];
  std::vector<std::string> out;
  if (v.IsScalar()) {
    out.push_back(v.Scalar());
    return out;
  }
  if (!v.IsSequence()) return Error(key, "expected a value or a list of values");
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].IsScalar()) return Error(key, absl::StrCat("element ", i, " must be a single value"));
    out.push_back(v[i].Scalar());
  }
  return out;
}

absl::StatusOr<std::vector<ConfigNode>> ConfigNode::MapList(absl::string_view key) const {
  YAML::Node v = node_[std::string(key)];
  if (!v.IsSequence()) return Error(key, "expected a list");
  std::vector<ConfigNode> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].IsMap()) return Error(key, absl::StrCat("element ", i, " must be a mapping of keys"));
    out.push_back(ConfigNode(v[i], file_, absl::StrCat(prefix_, key, "[", i, "].")));
  }
  return out;
}

std::filesystem::path ConfigNode::dir() const {
  return std::filesystem::absolute(std::filesystem::path(file_)).parent_path();
}

absl::StatusOr<std::string> ConfigNode::Path(absl::string_view key) const {
  auto s = Scalar(key);
  if (!s.ok()) return s.status();
  if (s->empty()) return Error(key, "empty path");
  std::filesystem::path p(*s);
  if (p.is_relative()) p = dir() / p;
  return p.lexically_normal().string();
}

}  // namespace rollguard
