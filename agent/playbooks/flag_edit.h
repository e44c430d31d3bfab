// Structured edits of a bot's config files, replacing the runbook's `sed`:
// the key must be found exactly once, or nothing is changed and the error
// says how many times it was found.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/playbooks/value_type.h"

namespace rollguard::agent {

// In a Python dict literal such as `"soccer_integration": True,` sets the
// value to `literal` (e.g. "False", "10", "'safe'").
[[nodiscard]] absl::StatusOr<std::string> SetPythonDictValue(absl::string_view text,
                                                             absl::string_view key,
                                                             absl::string_view literal);

// The same in a Python dict literal, with `value` spelled the Python way
// (true -> True, a string quoted as the old one was). The value keeps its
// type unless `type` says otherwise.
[[nodiscard]] absl::StatusOr<std::string> SetPythonValue(absl::string_view text,
                                                         absl::string_view key,
                                                         absl::string_view value,
                                                         ValueType type = ValueType::kKeep);

// In a JSON document, sets the value at a dotted path (a.b.c), which must
// exist exactly once, changing only that value's bytes. The value keeps its
// type unless `type` says otherwise: a bool takes true/false, a number takes
// a number as written (any size stays exact), a string takes the text
// (escaped); anything else is refused with nothing changed.
[[nodiscard]] absl::StatusOr<std::string> SetJsonValue(absl::string_view text,
                                                       absl::string_view dotted_key,
                                                       absl::string_view value,
                                                       ValueType type = ValueType::kKeep);
// In a YAML document, the same for a one-line scalar (plain or quoted):
// comments and everything else stay as written (yaml_edit.cc).
[[nodiscard]] absl::StatusOr<std::string> SetYamlValue(absl::string_view text,
                                                       absl::string_view dotted_key,
                                                       absl::string_view value,
                                                       ValueType type = ValueType::kKeep);
// In a TOML document, the same at a dotted path into tables (`[a.b]`
// headers, dotted keys and inline tables alike), for one-line strings,
// integers, floats and bools (toml_edit.cc).
[[nodiscard]] absl::StatusOr<std::string> SetTomlValue(absl::string_view text,
                                                       absl::string_view dotted_key,
                                                       absl::string_view value,
                                                       ValueType type = ValueType::kKeep);

// In a .env file, the KEY=value line (also `export KEY=...`, quoted or not):
// only the value changes, in its quoting style; true/false keep their case
// style (True stays capitalised). Comments and other lines stay as written.
// Every .env value is text, but the bot reads some as flags or numbers:
// without a `type`, an old true/false takes only true/false and an old
// number only a number (anything else is refused); with one, `type` only
// checks that the value fits it.
[[nodiscard]] absl::StatusOr<std::string> SetEnvValue(absl::string_view text, absl::string_view key,
                                                      absl::string_view value,
                                                      ValueType type = ValueType::kKeep);

// Dispatches on the file's name (.py, .json, .yaml/.yml, .toml, .env and
// *.env).
[[nodiscard]] absl::StatusOr<std::string> SetConfigValue(const std::string& path,
                                                         absl::string_view text,
                                                         absl::string_view key,
                                                         absl::string_view value,
                                                         ValueType type = ValueType::kKeep);

}  // namespace rollguard::agent
