#include "collector/remote_write/remote_write_config.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace rollguard::collector {
namespace {

// "https://vm.example:8428/api/v1/write" -> "vm.example:8428"
std::string Authority(absl::string_view url) {
  size_t start = url.find("://");
  start = start == absl::string_view::npos ? 0 : start + 3;
  absl::string_view rest = url.substr(start);
  return std::string(rest.substr(0, rest.find_first_of("/?#")));
}

absl::StatusOr<RemoteWriteConfig> LoadOne(const ConfigNode& n) {
  RETURN_IF_ERROR(
      n.AllowOnly({"name", "url", "headers", "bearer_token_file", "basic_auth", "ca_file",
                   "timeout", "max_samples_per_send", "max_lag", "min_backoff", "max_backoff"}));
  RemoteWriteConfig r;
  if (!n.Has("url")) return n.Error("url", "every remote_write entry needs a url");
  ASSIGN_OR_RETURN(r.url, n.String("url"));
  if (!absl::StartsWith(r.url, "http://") && !absl::StartsWith(r.url, "https://")) {
    return n.Error("url", "must be an http:// or https:// URL");
  }
  r.name = Authority(r.url);
  if (absl::StrContains(r.name, "@")) {
    return n.Error("url", "put credentials in basic_auth or bearer_token_file, not in the URL");
  }
  if (n.Has("name")) {
    ASSIGN_OR_RETURN(r.name, n.String("name"));
  }
  if (r.name.empty() || r.name.size() > 64 ||
      r.name.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") !=
          std::string::npos) {
    return n.Error("name",
                   absl::StrCat("'", r.name, "' is not a name (1-64 of letters, digits, . _ : -)"));
  }
  if (n.Has("headers")) {
    ASSIGN_OR_RETURN(Labels h, n.StringMap("headers", /*any_keys=*/true));
    for (const auto& [k, v] : h) {
      const std::string lower = absl::AsciiStrToLower(k);
      if (lower == "authorization" || lower == "content-encoding" || lower == "content-type" ||
          lower == "x-prometheus-remote-write-version") {
        return n.Error("headers", absl::StrCat(k,
                                               " is set by rollguard (credentials: "
                                               "bearer_token_file or basic_auth)"));
      }
    }
    r.headers = std::map<std::string, std::string>(h.begin(), h.end());
  }
  if (n.Has("bearer_token_file") && n.Has("basic_auth")) {
    return n.Error("basic_auth", "give bearer_token_file or basic_auth, not both");
  }
  if (n.Has("bearer_token_file")) {
    ASSIGN_OR_RETURN(r.bearer_token, n.SecretFile("bearer_token_file"));
  }
  if (n.Has("basic_auth")) {
    ASSIGN_OR_RETURN(ConfigNode b, n.Child("basic_auth"));
    RETURN_IF_ERROR(b.AllowOnly({"username", "password_file"}));
    if (!b.Has("username") || !b.Has("password_file")) {
      return n.Error("basic_auth", "needs username and password_file");
    }
    ASSIGN_OR_RETURN(r.username, b.String("username"));
    ASSIGN_OR_RETURN(r.password, b.SecretFile("password_file"));
  }
  if (n.Has("ca_file")) {
    ASSIGN_OR_RETURN(r.ca_file, n.Path("ca_file"));
  }
  if (n.Has("timeout")) {
    ASSIGN_OR_RETURN(r.timeout, n.Duration("timeout"));
    if (r.timeout < absl::Seconds(1) || r.timeout > absl::Minutes(5)) {
      return n.Error("timeout", "must be between 1s and 5m");
    }
  }
  if (n.Has("max_samples_per_send")) {
    ASSIGN_OR_RETURN(int64_t m, n.Int("max_samples_per_send", 1, 100'000));
    r.max_samples_per_send = static_cast<size_t>(m);
  }
  if (n.Has("max_lag")) {
    ASSIGN_OR_RETURN(r.max_lag, n.Duration("max_lag"));
    if (r.max_lag < absl::Minutes(1) || r.max_lag > absl::Hours(24 * 7)) {
      return n.Error("max_lag", "must be between 1m and 7d");
    }
  }
  if (n.Has("min_backoff")) {
    ASSIGN_OR_RETURN(r.min_backoff, n.Duration("min_backoff"));
  }
  if (n.Has("max_backoff")) {
    ASSIGN_OR_RETURN(r.max_backoff, n.Duration("max_backoff"));
  }
  if (r.min_backoff <= absl::ZeroDuration() || r.max_backoff < r.min_backoff) {
    return n.Error("max_backoff", "needs 0 < min_backoff <= max_backoff");
  }
  return r;
}

}  // namespace

absl::StatusOr<std::vector<RemoteWriteConfig>> LoadRemoteWrite(const ConfigNode& root) {
  std::vector<RemoteWriteConfig> out;
  ASSIGN_OR_RETURN(std::vector<ConfigNode> nodes, root.MapList("remote_write"));
  std::set<std::string> names;
  for (const ConfigNode& n : nodes) {
    ASSIGN_OR_RETURN(RemoteWriteConfig r, LoadOne(n));
    if (!names.insert(r.name).second) {
      return n.Error("name", absl::StrCat("two remote_write entries are named '", r.name,
                                          "' (give each a distinct name)"));
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace rollguard::collector
