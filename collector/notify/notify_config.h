// Where notifications go: receivers (log, generic JSON webhook, Discord,
// Slack, Alertmanager, email) and routes choosing them by severity and labels.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config_node.h"
#include "common/labels.h"

namespace rollguard::collector {

struct ReceiverConfig {
  std::string name;
  std::string type;  // log, webhook, discord, slack, alertmanager, email
  std::string url;   // webhook/discord/slack: the URL; alertmanager: its base URL
  std::map<std::string, std::string> headers;
  absl::Duration timeout = absl::Seconds(5);
  int max_attempts = 4;
  absl::Duration initial_backoff = absl::Seconds(1);
  // email
  std::string smtp_url;  // smtp://host:587 or smtps://host:465
  std::string from;
  std::vector<std::string> to;
  std::string username;
  std::string password;

  // A reload keeps a receiver whose config is unchanged (its queue, retries
  // and counters go on).
  bool operator==(const ReceiverConfig&) const = default;
};

struct RouteConfig {
  std::vector<std::string> severities;  // empty: any
  Labels match;                         // host or alert labels ("host", "rule" too)
  std::vector<std::string> receivers;
  std::string fallback;  // used when a receiver's delivery finally fails
};

struct NotifyConfig {
  std::vector<ReceiverConfig> receivers;
  std::vector<RouteConfig> routes;
};

// The default: everything to the collector's log.
NotifyConfig DefaultNotifyConfig();

// Reads `receivers:` and `routes:` of a config section; checks that routes
// name existing receivers.
[[nodiscard]] absl::StatusOr<NotifyConfig> LoadNotifyConfig(const ConfigNode& section);

}  // namespace rollguard::collector
