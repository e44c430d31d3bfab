// "HOST:PORT" addresses for --collector and --listen.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rollguard {

// Checks the form HOST:PORT (PORT 0-65535; [v6]:PORT allowed) and returns it
// unchanged, or an error naming `flag` and the text.
[[nodiscard]] absl::StatusOr<std::string> ValidateAddress(absl::string_view flag,
                                                          absl::string_view text);

// An HA pair's members, "a:7700,b:7700" (spaces allowed): each checked as
// above; an error names `flag`, the bad entry, or an empty list.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> SplitAddressList(absl::string_view flag,
                                                                        absl::string_view text);

}  // namespace rollguard
