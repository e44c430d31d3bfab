#include "common/address.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rollguard {

absl::StatusOr<std::string> ValidateAddress(absl::string_view flag, absl::string_view text) {
  size_t colon = text.rfind(':');
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": '", text, "' is not HOST:PORT (", why, ")"));
  };
  if (colon == absl::string_view::npos || colon == 0) return bad("missing host or port");
  int port = -1;
  if (!absl::SimpleAtoi(text.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return bad("port must be 0-65535");
  }
  return std::string(text);
}

}  // namespace rollguard
