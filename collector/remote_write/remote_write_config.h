// `remote_write:` in collector.yaml: where every stored sample is sent with
// Prometheus' remote-write protocol (VictoriaMetrics, Prometheus, Mimir).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config_node.h"

namespace rollguard::collector {

struct RemoteWriteConfig {
  // Names the remote in logs, /metrics and its place in the sample log
  // (default: the URL's host:port). Renaming one starts it afresh.
  std::string name;
  std::string url;
  // Sent with every request (e.g. X-Scope-OrgID for Mimir); values are secret.
  std::map<std::string, std::string> headers;
  // From bearer_token_file / basic_auth: {username, password_file}.
  std::string bearer_token;
  std::string username;
  std::string password;
  std::string ca_file;
  absl::Duration timeout = absl::Seconds(30);
  size_t max_samples_per_send = 10'000;
  // Samples older than this when their turn comes (a receiver down for
  // long) are dropped and counted, so the kept log stays bounded.
  absl::Duration max_lag = absl::Hours(2);
  absl::Duration min_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(10);
};

// The list under `remote_write:`; errors name file, line and key.
[[nodiscard]] absl::StatusOr<std::vector<RemoteWriteConfig>> LoadRemoteWrite(
    const ConfigNode& root);

}  // namespace rollguard::collector
