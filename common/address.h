// "HOST:PORT" addresses for --collector and --listen.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rollguard {

// Checks the form HOST:PORT (PORT 0-65535; [v6]:PORT allowed) and returns it
// unchanged, or an error naming `flag` and the text.
[[nodiscard]] absl::StatusOr<std::string> ValidateAddress(absl::string_view flag,
                                                          absl::string_view text);

}  // namespace rollguard
