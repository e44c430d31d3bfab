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

// The same for a directory entry a step acts on itself (removes): its folder
// is resolved through symlinks and must be under `root`, but the last name
// is not followed, so a symlink there names the link, never its target.
[[nodiscard]] absl::StatusOr<std::string> ResolveEntryUnderRoot(const std::string& root,
                                                                const std::string& rel);

}  // namespace rollguard::agent
