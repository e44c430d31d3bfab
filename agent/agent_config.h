// The agent's settings: defaults, then the optional YAML file, then flags.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/playbooks/playbook.h"
#include "agent/probes/http_probe.h"
#include "agent/scrape/scraper.h"
#include "agent/sources/bot_process.h"
#include "agent/statsd/statsd_aggregator.h"
#include "common/labels.h"
#include "common/tls/grpc_tls.h"

namespace rollguard::agent {

struct AgentConfig {
  // One collector, or an HA pair's members comma-separated: the agent
  // streams everything to each and takes commands from whichever leads.
  std::string collector = "127.0.0.1:7700";
  // TLS to the collector: ca verifies the collector (and its name), cert/key
  // are this agent's identity (`rollguard pki agent HOST_ID`).
  TlsFiles tls;
  std::string host_id;  // empty: the machine's hostname
  absl::Duration interval = absl::Seconds(10);
  Labels labels;
  BotMatch bot;
  std::string disk_path = "/";
  std::string proc_root = "/proc";
  // `buffer:` Samples held in memory (with a spool, the newest; older ones
  // wait on disk). Old spelling: buffer_max_samples.
  size_t buffer_max_samples = 200000;
  // The disk spool (agent/buffer/spool.h): "" = memory only. Unless the
  // config sets it, <state_dir>/spool/<host id> when a state folder is known
  // (a config file, or systemd's STATE_DIRECTORY).
  std::string spool_dir;
  bool spool_dir_set = false;
  uint64_t spool_max_bytes = 64ull << 20;
  absl::Duration heartbeat_interval = absl::Seconds(5);
  absl::Duration reconnect_initial = absl::Milliseconds(200);
  absl::Duration reconnect_max = absl::Seconds(30);
  std::string log_level = "info";
  // The bot's own metrics over StatsD; empty listen = off.
  std::string statsd_listen = "127.0.0.1:8125";
  // GET /metrics with the agent's own health (HOST:PORT, loopback only;
  // "" = off, the default).
  std::string metrics_listen;
  int statsd_receive_buffer = 8 * 1024 * 1024;
  StatsdMapping statsd_mapping;
  std::vector<ProbeConfig> probes;
  // Prometheus text endpoints read every interval (a bot's prometheus_client).
  std::vector<ScrapeConfig> scrape;
  PlaybookConfig playbooks;  // service, playbooks, state_dir
};

// Reads `path` over `base` (keys absent from the file keep base's values).
// Relative paths in the file resolve against the file's own folder. Unknown
// keys and bad values are errors naming file, line and key.
[[nodiscard]] absl::StatusOr<AgentConfig> LoadAgentConfig(const std::string& path,
                                                          AgentConfig base = {});

// Fills defaults that depend on the machine (host id) and checks the whole.
[[nodiscard]] absl::Status FinalizeAgentConfig(AgentConfig* config);

}  // namespace rollguard::agent
