#include "collector/notify/redact.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace rollguard::collector {

std::string RedactUrl(absl::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) return "***";
  absl::string_view scheme = url.substr(0, scheme_end + 3);
  absl::string_view rest = url.substr(scheme_end + 3);
  size_t path_start = rest.find_first_of("/?#");
  absl::string_view authority = rest.substr(0, path_start);
  if (size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    authority = authority.substr(at + 1);  // user:password@ goes
  }
  std::string out = absl::StrCat(scheme, authority);
  if (path_start == absl::string_view::npos) return out;
  absl::string_view tail = rest.substr(path_start);
  absl::string_view path = tail.substr(0, tail.find_first_of("?#"));
  std::vector<absl::string_view> segments = absl::StrSplit(path, '/', absl::SkipEmpty());
  // Three or more segments: the first two name the API (api/webhooks,
  // services/T...), the rest are ids and tokens. Fewer: any could be a token.
  if (segments.size() >= 3) {
    absl::StrAppend(&out, "/", segments[0], "/", segments[1], "/…/***");
  } else if (!segments.empty()) {
    absl::StrAppend(&out, "/***");
  }
  if (path.size() != tail.size()) absl::StrAppend(&out, "?***");
  return out;
}

std::string ScrubSecrets(absl::string_view text, const std::vector<std::string>& secrets) {
  std::string out(text);
  for (const std::string& s : secrets) {
    if (s.size() >= 4) out = absl::StrReplaceAll(out, {{s, "***"}});
  }
  return out;
}

}  // namespace rollguard::collector
