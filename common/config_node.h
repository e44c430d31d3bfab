// Strict reading of YAML config files. Every error names the file, the line
// and the key, e.g. "agent.yaml:7: interval: invalid duration 'ten'". Unknown
// keys are errors, so a typo never silently falls back to a default.
// yaml-cpp throws; nothing thrown escapes this module.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/labels.h"

namespace rollguard {

// A mapping node of a config file. Cheap to copy.
class ConfigNode {
 public:
  // Parses `path`; an empty file is an empty mapping. Errors carry file and line.
  [[nodiscard]] static absl::StatusOr<ConfigNode> LoadFile(const std::string& path);
  // For tests: parse text as if it came from `file`.
  [[nodiscard]] static absl::StatusOr<ConfigNode> Parse(absl::string_view text,
                                                        const std::string& file);

  bool Has(absl::string_view key) const;
  // The key is present with no value (`stop_service:`).
  bool HasNull(absl::string_view key) const;
  // The mapping's keys, in file order; a key that is a list or a mapping is an error.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> Keys() const;
  // Refuses any key not listed, naming it and what is allowed.
  [[nodiscard]] absl::Status AllowOnly(std::initializer_list<absl::string_view> keys) const;
  [[nodiscard]] absl::Status AllowOnly(absl::Span<const absl::string_view> keys) const;

  // Each getter requires Has(key) and checks the value's type.
  [[nodiscard]] absl::StatusOr<std::string> String(absl::string_view key) const;
  [[nodiscard]] absl::StatusOr<absl::Duration> Duration(absl::string_view key) const;
  [[nodiscard]] absl::StatusOr<int64_t> Int(absl::string_view key, int64_t min, int64_t max) const;
  [[nodiscard]] absl::StatusOr<bool> Bool(absl::string_view key) const;
  // A size: a whole number of bytes, or with a unit KB, MB, GB (powers of
  // 1024, as Prometheus reads them; KiB, MiB, GiB too), within [min, max].
  [[nodiscard]] absl::StatusOr<uint64_t> Bytes(absl::string_view key, uint64_t min,
                                               uint64_t max) const;
  // Keys must be label names unless `any_keys` (e.g. HTTP headers).
  [[nodiscard]] absl::StatusOr<Labels> StringMap(absl::string_view key,
                                                 bool any_keys = false) const;
  [[nodiscard]] absl::StatusOr<ConfigNode> Child(absl::string_view key) const;
  // A list of mappings, e.g. `probes:`; errors in element i name "key[i].field".
  [[nodiscard]] absl::StatusOr<std::vector<ConfigNode>> MapList(absl::string_view key) const;
  // A list of single values ([a, b] or one value alone).
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> Strings(absl::string_view key) const;
  // A path value, made absolute against the config file's own folder.
  [[nodiscard]] absl::StatusOr<std::string> Path(absl::string_view key) const;
  // A secret kept in its own file (key names the path): the file's first
  // line, trimmed. Errors name the key and the file, never the contents.
  [[nodiscard]] absl::StatusOr<std::string> SecretFile(absl::string_view key) const;

  // "file:line: key: message" as InvalidArgument.
  absl::Status Error(absl::string_view key, absl::string_view message) const;

  const std::string& file() const { return file_; }
  std::filesystem::path dir() const;

 private:
  ConfigNode(YAML::Node node, std::string file, std::string prefix);
  int LineOf(absl::string_view key) const;
  absl::StatusOr<std::string> Scalar(absl::string_view key) const;
  // The value under `key`; a missing key is an error, never yaml-cpp's throwing "zombie" node.
  absl::StatusOr<YAML::Node> Lookup(absl::string_view key) const;
  absl::Status NotAName(const YAML::Node& key) const;
  // Runs `body`, turning anything yaml-cpp throws into an error about `key`.
  template <typename T, typename F>
  absl::StatusOr<T> Guard(absl::string_view key, F body) const {
    try {
      return body();
    } catch (const YAML::Exception& e) {
      return Error(key, e.msg);
    }
  }

  YAML::Node node_;
  std::string file_;
  std::string prefix_;  // "bot." for nested sections, so messages name the full key
};

}  // namespace rollguard
