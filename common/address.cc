#include "common/address.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

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

absl::StatusOr<std::vector<std::string>> SplitAddressList(absl::string_view flag,
                                                          absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view one : absl::StrSplit(text, ',')) {
    one = absl::StripAsciiWhitespace(one);
    if (one.empty()) continue;
    ASSIGN_OR_RETURN(std::string a, ValidateAddress(flag, one));
    out.push_back(std::move(a));
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": no address given (HOST:PORT)"));
  }
  return out;
}

}  // namespace rollguard
