// What set_flags writes. By default a value keeps the type it had in the
// file (a flag stays a bool); a step's `type:` says what it must become,
// and the new value is checked against that type before anything changes.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rollguard::agent {

enum class ValueType { kKeep, kString, kInt, kBool, kFloat };

// "string", "int", "bool" or "float"; an error lists them.
[[nodiscard]] absl::StatusOr<ValueType> ParseValueType(absl::string_view name);
// "a string", "an int", ... for messages.
const char* ValueTypeName(ValueType type);

// `value` spelled as `type` the way JSON, YAML and TOML all read it: bool as
// true/false, int as digits (any size, exact), float with a '.' or an
// exponent (2 -> 2.0); a string as given. An error says why it does not fit.
[[nodiscard]] absl::StatusOr<std::string> NormalizeAs(ValueType type, absl::string_view value);

// Well-formed UTF-8 (what a string written into a TOML or YAML file must be).
bool IsUtf8(absl::string_view text);

}  // namespace rollguard::agent
