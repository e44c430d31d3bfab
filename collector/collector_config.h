// The collector's settings: defaults, then the optional YAML file, then flags.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/alerting/alerting.h"
#include "collector/automation/automation_options.h"
#include "collector/ha/ha_options.h"
#include "collector/ingest/ingest_limits.h"
#include "collector/remote_write/remote_write_config.h"
#include "common/tls/grpc_tls.h"

namespace rollguard::collector {

struct CollectorConfig {
  std::string listen = "127.0.0.1:7700";
  // The HTTP side (/metrics): "" = off. The default's port may be taken (a
  // second collector on the host): then it is skipped with a warning; an
  // address set on purpose must bind.
  std::string http_listen = "127.0.0.1:7780";
  bool http_listen_set = false;
  // The web console on the HTTP listener (collector/console/console.h).
  bool console = true;
  std::string data_dir = "rollguard-data";
  absl::Duration retention = absl::Hours(24 * 30);
  absl::Duration retention_check_interval = absl::Hours(1);
  // Audit, alert events, finished commands and rollouts, closed incidents and
  // expired silences older than this are deleted (open ones never are).
  absl::Duration records_retention = absl::Hours(24 * 90);
  bool sync_writes = false;
  int ingest_threads = 2;
  // What one agent may send (max_age follows retention).
  IngestLimits ingest;
  std::string log_level = "info";
  // Where to write the port actually bound (useful with --listen HOST:0).
  std::string port_file;
  AlertingOptions alerting;
  // How long a command waits for an offline agent before it expires.
  absl::Duration command_queue_for = absl::Minutes(15);
  // How long a running command waits for its disconnected host before it is
  // LOST (its rollout and automation slot move on).
  absl::Duration command_lost_after = absl::Minutes(15);
  AutomationOptions automation;
  // mTLS for every connection (tls.client_ca is the CA agents' and users'
  // certificates must come from). Without it the collector serves plaintext,
  // and only on a loopback address unless `insecure`.
  TlsFiles tls;
  // Operators' bearer tokens ("NAME ROLE SHA256HEX" lines); needs TLS.
  std::string tokens_file;
  bool insecure = false;
  // Where every stored sample is also sent (Prometheus remote write).
  std::vector<RemoteWriteConfig> remote_write;
  // High availability (absent: this collector acts alone).
  HaOptions ha;
};

[[nodiscard]] absl::StatusOr<AutomationMode> ParseAutomationMode(absl::string_view text);

// Reads `path` over `base`. Relative paths resolve against the file's folder.
// Unknown keys and bad values are errors naming file, line and key.
[[nodiscard]] absl::StatusOr<CollectorConfig> LoadCollectorConfig(const std::string& path,
                                                                  CollectorConfig base = {});

[[nodiscard]] absl::Status ValidateCollectorConfig(const CollectorConfig& config);

}  // namespace rollguard::collector
