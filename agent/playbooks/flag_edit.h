// Structured edits of a bot's config files, replacing the runbook's `sed`:
// the key must be found exactly once, or nothing is changed and the error
// says how many times it was found.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rollguard::agent {

// In a Python dict literal such as `"soccer_integration": True,` sets the
// value to `literal` (e.g. "False", "10", "'safe'").
[[nodiscard]] absl::StatusOr<std::string> SetPythonDictValue(absl::string_view text,
                                                             absl::string_view key,
                                                             absl::string_view literal);

// In a JSON document, sets the value at a dotted path (a.b.c), which must
// exist exactly once, changing only that value's bytes. The value keeps its
// type: a bool takes true/false, a number takes a number as written (any
// size stays exact), a string takes the text (escaped); anything else is
// refused with nothing changed.
[[nodiscard]] absl::StatusOr<std::string> SetJsonValue(absl::string_view text,
                                                       absl::string_view dotted_key,
                                                       absl::string_view value);
// In a YAML document, the same for a one-line scalar (plain or quoted):
// comments and everything else stay as written (yaml_edit.cc).
[[nodiscard]] absl::StatusOr<std::string> SetYamlValue(absl::string_view text,
                                                       absl::string_view dotted_key,
                                                       absl::string_view value);

// In a .env file, the KEY=value line (also `export KEY=...`, quoted or not):
// only the value changes, in its quoting style; true/false keep their case
// style (True stays capitalised). Comments and other lines stay as written.
[[nodiscard]] absl::StatusOr<std::string> SetEnvValue(absl::string_view text, absl::string_view key,
                                                      absl::string_view value);

// Dispatches on the file's name (.py, .json, .yaml/.yml, .env and *.env); a
// Python value is spelled the Python way (true -> True).
[[nodiscard]] absl::StatusOr<std::string> SetConfigValue(const std::string& path,
                                                         absl::string_view text,
                                                         absl::string_view key,
                                                         absl::string_view value);

}  // namespace rollguard::agent
