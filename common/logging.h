// One logging set-up for all three programs: spdlog to stderr, with the
// program name, so interleaved logs in a demo or test stay readable.
#pragma once

#include <spdlog/spdlog.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rollguard {

// level: trace, debug, info, warn, error. Unknown levels are an error.
[[nodiscard]] absl::Status InitLogging(absl::string_view program, absl::string_view level);

}  // namespace rollguard
