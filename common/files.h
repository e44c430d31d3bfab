// Small file helpers.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace rollguard {

// Reads a whole (small) file. NotFound when it does not exist; errors name the path.
// Works for /proc files, whose size stat() reports as 0.
[[nodiscard]] absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace rollguard
