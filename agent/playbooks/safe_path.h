// Keeps every path a playbook touches inside its service's root: no "..",
// no absolute path elsewhere, no symlink leading out.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace rollguard::agent {

// `rel` (relative to `root`, or absolute) as an absolute path under `root`.
// The longest existing prefix is resolved through symlinks and must stay
// under the resolved root. Errors name the path and why it is refused.
[[nodiscard]] absl::StatusOr<std::string> ResolveUnderRoot(const std::string& root,
                                                           const std::string& rel);

}  // namespace rollguard::agent
