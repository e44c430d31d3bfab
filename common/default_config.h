// Where the daemons look for their config when --config is not given: the
// package installs /etc/rollguard/{collector,agent}.yaml (conffiles), so
// `rollguard-collector` alone on an installed host runs as configured.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace rollguard {

inline constexpr char kSystemConfigDir[] = "/etc/rollguard";

// DIR/NAME when that file exists, else "" (the built-in defaults apply).
std::string DefaultConfigPath(absl::string_view name, absl::string_view dir = kSystemConfigDir);

}  // namespace rollguard
