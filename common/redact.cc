#include "common/redact.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace rollguard {

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
  // Leading words that name the API (api/webhooks, services) stay, at most
  // two and never the last segment; ids and tokens (anything with a digit or
  // a capital) go.
  size_t kept = 0;
  while (kept < 2 && kept + 1 < segments.size() &&
         std::all_of(segments[kept].begin(), segments[kept].end(),
                     [](char c) { return c >= 'a' && c <= 'z'; })) {
    absl::StrAppend(&out, "/", segments[kept]);
    ++kept;
  }
  if (kept < segments.size()) absl::StrAppend(&out, kept > 0 ? "/…/***" : "/***");
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

}  // namespace rollguard
