#include "collector/notify/notify_config.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/severity.h"
#include "common/status_macros.h"

namespace rollguard::collector {
namespace {

absl::StatusOr<std::vector<std::string>> StringList(const ConfigNode& n, absl::string_view key) {
  // Accept a single value or a list written as [a, b] via StringMap-free parsing.
  std::vector<std::string> out;
  ASSIGN_OR_RETURN(std::vector<std::string> items, n.Strings(key));
  for (auto& s : items) out.push_back(std::move(s));
  return out;
}

absl::StatusOr<ReceiverConfig> LoadReceiver(const ConfigNode& n) {
  RETURN_IF_ERROR(
      n.AllowOnly({"name", "type", "url", "headers", "timeout", "max_attempts", "initial_backoff",
                   "smtp_url", "from", "to", "username", "password", "url_file", "password_file"}));
  ReceiverConfig r;
  if (!n.Has("name")) return n.Error("name", "every receiver needs a name");
  ASSIGN_OR_RETURN(r.name, n.String("name"));
  if (!n.Has("type")) return n.Error("type", "every receiver needs a type");
  ASSIGN_OR_RETURN(r.type, n.String("type"));
  static const char* kTypes[] = {"log", "webhook", "discord", "slack", "alertmanager", "email"};
  if (std::none_of(std::begin(kTypes), std::end(kTypes),
                   [&](const char* t) { return r.type == t; })) {
    return n.Error("type", absl::StrCat("'", r.type,
                                        "' is not one of log, webhook, discord, slack, "
                                        "alertmanager, email"));
  }
  if (n.Has("url") && n.Has("url_file"))
    return n.Error("url_file", "give url or url_file, not both");
  if (n.Has("url")) {
    ASSIGN_OR_RETURN(r.url, n.String("url"));
  }
  if (n.Has("url_file")) {
    // The secret stays out of the config file (which is often in git).
    ASSIGN_OR_RETURN(r.url, n.SecretFile("url_file"));
  }
  bool needs_url = r.type != "log" && r.type != "email";
  if (needs_url && r.url.rfind("http://", 0) != 0 && r.url.rfind("https://", 0) != 0) {
    return n.Error("url", absl::StrCat("a ", r.type, " receiver needs an http(s):// url"));
  }
  if (n.Has("headers")) {
    ASSIGN_OR_RETURN(Labels h, n.StringMap("headers", /*any_keys=*/true));
    r.headers = std::map<std::string, std::string>(h.begin(), h.end());
  }
  if (n.Has("timeout")) {
    ASSIGN_OR_RETURN(r.timeout, n.Duration("timeout"));
  }
  if (n.Has("max_attempts")) {
    ASSIGN_OR_RETURN(int64_t a, n.Int("max_attempts", 1, 20));
    r.max_attempts = static_cast<int>(a);
  }
  if (n.Has("initial_backoff")) {
    ASSIGN_OR_RETURN(r.initial_backoff, n.Duration("initial_backoff"));
  }
  if (r.type == "email") {
    for (const char* k : {"smtp_url", "from", "to"}) {
      if (!n.Has(k)) return n.Error(k, "is required for an email receiver");
    }
    ASSIGN_OR_RETURN(r.smtp_url, n.String("smtp_url"));
    ASSIGN_OR_RETURN(r.from, n.String("from"));
    ASSIGN_OR_RETURN(r.to, StringList(n, "to"));
    if (n.Has("username")) {
      ASSIGN_OR_RETURN(r.username, n.String("username"));
    }
    if (n.Has("password") && n.Has("password_file")) {
      return n.Error("password_file", "give password or password_file, not both");
    }
    if (n.Has("password")) {
      ASSIGN_OR_RETURN(r.password, n.String("password"));
    }
    if (n.Has("password_file")) {
      ASSIGN_OR_RETURN(r.password, n.SecretFile("password_file"));
    }
  }
  return r;
}

}  // namespace

NotifyConfig DefaultNotifyConfig() {
  NotifyConfig c;
  ReceiverConfig log;
  log.name = "log";
  log.type = "log";
  c.receivers.push_back(log);
  RouteConfig all;
  all.receivers = {"log"};
  c.routes.push_back(all);
  return c;
}

absl::StatusOr<NotifyConfig> LoadNotifyConfig(const ConfigNode& section) {
  NotifyConfig c = DefaultNotifyConfig();
  if (section.Has("receivers")) {
    ASSIGN_OR_RETURN(std::vector<ConfigNode> nodes, section.MapList("receivers"));
    for (const ConfigNode& n : nodes) {
      ASSIGN_OR_RETURN(ReceiverConfig r, LoadReceiver(n));
      for (const auto& other : c.receivers) {
        if (other.name == r.name) {
          return n.Error("name", absl::StrCat("duplicate receiver '", r.name, "'"));
        }
      }
      c.receivers.push_back(std::move(r));
    }
  }
  if (section.Has("routes")) {
    c.routes.clear();
    ASSIGN_OR_RETURN(std::vector<ConfigNode> nodes, section.MapList("routes"));
    for (const ConfigNode& n : nodes) {
      RETURN_IF_ERROR(n.AllowOnly({"severities", "match", "receivers", "fallback"}));
      RouteConfig r;
      if (n.Has("severities")) {
        ASSIGN_OR_RETURN(r.severities, StringList(n, "severities"));
        for (const auto& s : r.severities) {
          if (SeverityRank(s) < 0) {
            return n.Error("severities", absl::StrCat("'", s, "' is not a severity"));
          }
        }
      }
      if (n.Has("match")) {
        ASSIGN_OR_RETURN(r.match, n.StringMap("match"));
      }
      if (!n.Has("receivers")) return n.Error("receivers", "every route needs receivers");
      ASSIGN_OR_RETURN(r.receivers, StringList(n, "receivers"));
      if (n.Has("fallback")) {
        ASSIGN_OR_RETURN(r.fallback, n.String("fallback"));
      }
      std::vector<std::string> named = r.receivers;
      if (!r.fallback.empty()) named.push_back(r.fallback);
      for (const auto& name : named) {
        bool known = std::any_of(c.receivers.begin(), c.receivers.end(),
                                 [&](const ReceiverConfig& rc) { return rc.name == name; });
        if (!known) return n.Error("receivers", absl::StrCat("no receiver named '", name, "'"));
      }
      c.routes.push_back(std::move(r));
    }
  }
  return c;
}

}  // namespace rollguard::collector
