#include "collector/collector_config.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/address.h"
#include "common/config_node.h"
#include "common/status_macros.h"
#include "common/tls/tls_config.h"

namespace rollguard::collector {
namespace {

absl::Status LoadAlerting(const ConfigNode& n, AlertingOptions* a) {
  RETURN_IF_ERROR(n.AllowOnly({"rules", "stale_after", "flap_window", "flap_threshold",
                               "host_offline_severity", "tick", "receivers", "routes"}));
  if (n.Has("rules")) {
    ASSIGN_OR_RETURN(a->rules_path, n.Path("rules"));
  }
  if (n.Has("stale_after")) {
    ASSIGN_OR_RETURN(a->engine.stale_after, n.Duration("stale_after"));
  }
  if (n.Has("flap_window")) {
    ASSIGN_OR_RETURN(a->engine.flap_window, n.Duration("flap_window"));
  }
  if (n.Has("flap_threshold")) {
    ASSIGN_OR_RETURN(int64_t t, n.Int("flap_threshold", 2, 1000));
    a->engine.flap_threshold = static_cast<int>(t);
  }
  if (n.Has("host_offline_severity")) {
    ASSIGN_OR_RETURN(a->engine.host_offline_severity, n.String("host_offline_severity"));
    if (SeverityRank(a->engine.host_offline_severity) < 0) {
      return n.Error("host_offline_severity", "is not a severity");
    }
  }
  if (n.Has("tick")) {
    ASSIGN_OR_RETURN(a->tick, n.Duration("tick"));
    if (a->tick < absl::Milliseconds(50)) return n.Error("tick", "must be at least 50ms");
  }
  ASSIGN_OR_RETURN(a->notify, LoadNotifyConfig(n));
  return absl::OkStatus();
}

absl::StatusOr<AutomationMode> ParseModeAt(const ConfigNode& n, absl::string_view key) {
  ASSIGN_OR_RETURN(std::string m, n.String(key));
  auto mode = ParseAutomationMode(m);
  if (!mode.ok()) return n.Error(key, mode.status().message());
  return *mode;
}

absl::Status LoadAutomation(const ConfigNode& n, AutomationOptions* a) {
  RETURN_IF_ERROR(n.AllowOnly({"mode", "playbooks", "verify_playbook", "max_concurrent",
                               "host_cooloff", "circuit_breaker", "queue_for", "escalation"}));
  if (n.Has("mode")) {
    ASSIGN_OR_RETURN(a->mode, ParseModeAt(n, "mode"));
  }
  if (n.Has("playbooks")) {
    // Severity → playbook; replaces the shipped matrix.
    ASSIGN_OR_RETURN(Labels m, n.StringMap("playbooks", /*any_keys=*/true));
    a->severity_playbooks = std::map<std::string, std::string>(m.begin(), m.end());
    for (const auto& [sev, pb] : a->severity_playbooks) {
      if (SeverityRank(sev) < 0) {
        return n.Error("playbooks", absl::StrCat("'", sev, "' is not a severity"));
      }
    }
  }
  if (n.Has("verify_playbook")) {
    ASSIGN_OR_RETURN(a->verify_playbook, n.String("verify_playbook"));
  }
  if (n.Has("max_concurrent")) {
    ASSIGN_OR_RETURN(int64_t v, n.Int("max_concurrent", 1, 1000));
    a->max_concurrent = static_cast<int>(v);
  }
  if (n.Has("host_cooloff")) {
    ASSIGN_OR_RETURN(a->host_cooloff, n.Duration("host_cooloff"));
  }
  if (n.Has("queue_for")) {
    ASSIGN_OR_RETURN(a->command_queue_for, n.Duration("queue_for"));
  }
  if (n.Has("circuit_breaker")) {
    ASSIGN_OR_RETURN(ConfigNode b, n.Child("circuit_breaker"));
    RETURN_IF_ERROR(b.AllowOnly({"percent", "min_hosts", "window"}));
    if (b.Has("percent")) {
      ASSIGN_OR_RETURN(int64_t p, b.Int("percent", 0, 100));
      a->breaker_percent = static_cast<double>(p);
    }
    if (b.Has("min_hosts")) {
      ASSIGN_OR_RETURN(int64_t h, b.Int("min_hosts", 1, 100000));
      a->breaker_min_hosts = static_cast<int>(h);
    }
    if (b.Has("window")) {
      ASSIGN_OR_RETURN(a->breaker_window, b.Duration("window"));
    }
  }
  if (n.Has("escalation")) {
    ASSIGN_OR_RETURN(std::vector<ConfigNode> levels, n.MapList("escalation"));
    if (levels.empty()) return n.Error("escalation", "needs at least one level");
    a->levels.clear();
    for (const ConfigNode& l : levels) {
      RETURN_IF_ERROR(l.AllowOnly({"name", "budget", "receivers"}));
      EscalationLevel level;
      ASSIGN_OR_RETURN(level.name, l.String("name"));
      ASSIGN_OR_RETURN(level.budget, l.Duration("budget"));
      if (l.Has("receivers")) {
        ASSIGN_OR_RETURN(level.receivers, l.Strings("receivers"));
      }
      a->levels.push_back(std::move(level));
    }
  }
  return absl::OkStatus();
}

// One bound of the ingest section: an integer in [lo, hi], stored << shift
// (KB and MB fields are kept in bytes).
absl::Status LoadBound(const ConfigNode& n, const char* key, int64_t lo, int64_t hi, size_t* out,
                       int shift = 0) {
  if (!n.Has(key)) return absl::OkStatus();
  ASSIGN_OR_RETURN(int64_t v, n.Int(key, lo, hi));
  *out = static_cast<size_t>(v) << shift;
  return absl::OkStatus();
}

// ingest: {max_future, hello_timeout, max_series_per_stream, max_series_per_host,
//          max_series, max_streams, max_streams_per_host, max_queued_writes,
//          max_message_kb, grpc_memory_mb}
absl::Status LoadIngestLimits(const ConfigNode& n, IngestLimits* l) {
  RETURN_IF_ERROR(
      n.AllowOnly({"max_future", "hello_timeout", "max_series_per_stream", "max_series_per_host",
                   "max_series", "max_streams", "max_streams_per_host", "max_queued_writes",
                   "max_message_kb", "grpc_memory_mb"}));
  if (n.Has("max_future")) {
    ASSIGN_OR_RETURN(l->max_future, n.Duration("max_future"));
    if (l->max_future < absl::Seconds(1) || l->max_future > absl::Hours(24 * 7)) {
      return n.Error("max_future", "must be between 1s and 7d");
    }
  }
  if (n.Has("hello_timeout")) {
    ASSIGN_OR_RETURN(l->hello_timeout, n.Duration("hello_timeout"));
    if (l->hello_timeout < absl::Seconds(1) || l->hello_timeout > absl::Minutes(10)) {
      return n.Error("hello_timeout", "must be between 1s and 10m");
    }
  }
  RETURN_IF_ERROR(LoadBound(n, "max_series_per_stream", 1, 10'000'000, &l->max_series_per_stream));
  RETURN_IF_ERROR(LoadBound(n, "max_series_per_host", 1, 10'000'000, &l->max_series_per_host));
  RETURN_IF_ERROR(LoadBound(n, "max_series", 1, 1'000'000'000, &l->max_series));
  RETURN_IF_ERROR(LoadBound(n, "max_streams", 1, 10'000'000, &l->max_streams));
  RETURN_IF_ERROR(LoadBound(n, "max_streams_per_host", 1, 1000, &l->max_streams_per_host));
  RETURN_IF_ERROR(LoadBound(n, "max_queued_writes", 16, 1'000'000, &l->max_queued_writes));
  RETURN_IF_ERROR(LoadBound(n, "max_message_kb", 64, 256 * 1024, &l->max_message_bytes, 10));
  return LoadBound(n, "grpc_memory_mb", 64, 1 << 20, &l->grpc_memory_bytes, 20);
}

// ha: {etcd: [urls], ttl: 10s, cluster: name, member: name, address: host:port}
absl::Status LoadHa(const ConfigNode& h, HaOptions* ha) {
  RETURN_IF_ERROR(h.AllowOnly({"etcd", "ttl", "cluster", "member", "address", "tls"}));
  if (h.Has("tls")) {
    ASSIGN_OR_RETURN(ConfigNode t, h.Child("tls"));
    TlsFiles files;
    RETURN_IF_ERROR(LoadTlsSection(t, "ca", &files));
    if (files.cert.empty() != files.key.empty()) {
      return t.Error(files.cert.empty() ? "cert" : "key", "cert and key go together");
    }
    ha->tls_ca = files.ca;
    ha->tls_cert = files.cert;
    ha->tls_key = files.key;
  }
  ASSIGN_OR_RETURN(ha->etcd, h.Strings("etcd"));
  if (ha->etcd.empty()) return h.Error("etcd", "needs at least one etcd client URL");
  for (const std::string& url : ha->etcd) {
    if (!absl::StartsWith(url, "http://") && !absl::StartsWith(url, "https://")) {
      return h.Error("etcd", absl::StrCat("'", url, "' is not an http:// or https:// URL"));
    }
  }
  if (h.Has("ttl")) {
    ASSIGN_OR_RETURN(ha->ttl, h.Duration("ttl"));
    // etcd refuses leases much shorter than its election timeout; a long
    // one leaves the fleet without a leader that long after a crash.
    if (ha->ttl < absl::Seconds(2) || ha->ttl > absl::Minutes(5)) {
      return h.Error("ttl", "must be between 2s and 5m");
    }
    if (ha->ttl != absl::Seconds(absl::ToInt64Seconds(ha->ttl))) {
      return h.Error("ttl", "must be whole seconds (etcd leases are)");
    }
  }
  if (h.Has("cluster")) {
    ASSIGN_OR_RETURN(ha->cluster, h.String("cluster"));
    if (ha->cluster.empty() || ha->cluster.find('/') != std::string::npos) {
      return h.Error("cluster", "must be a non-empty name without '/'");
    }
  }
  if (h.Has("member")) {
    ASSIGN_OR_RETURN(ha->member, h.String("member"));
    if (ha->member.empty() || ha->member.find('/') != std::string::npos) {
      return h.Error("member", "must be a non-empty name without '/'");
    }
  }
  if (h.Has("address")) {
    ASSIGN_OR_RETURN(ha->address, h.String("address"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AutomationMode> ParseAutomationMode(absl::string_view text) {
  if (text == "auto") return AutomationMode::kAuto;
  if (text == "confirm") return AutomationMode::kConfirm;
  if (text == "off") return AutomationMode::kOff;
  return absl::InvalidArgumentError(
      absl::StrCat("automation mode '", text, "' is not one of auto, confirm, off"));
}

absl::StatusOr<CollectorConfig> LoadCollectorConfig(const std::string& path, CollectorConfig c) {
  ASSIGN_OR_RETURN(ConfigNode root, ConfigNode::LoadFile(path));
  RETURN_IF_ERROR(root.AllowOnly(
      {"listen", "http_listen", "data_dir", "retention", "retention_check_interval",
       "records_retention", "sync_writes", "ingest_threads", "log_level", "alerting", "commands",
       "automation", "tls", "auth", "insecure", "ingest", "remote_write", "console", "ha"}));
  if (root.Has("ha")) {
    ASSIGN_OR_RETURN(ConfigNode h, root.Child("ha"));
    RETURN_IF_ERROR(LoadHa(h, &c.ha));
  }
  if (root.Has("console")) {
    ASSIGN_OR_RETURN(c.console, root.Bool("console"));
  }
  if (root.Has("tls")) {
    ASSIGN_OR_RETURN(ConfigNode t, root.Child("tls"));
    RETURN_IF_ERROR(LoadTlsSection(t, "client_ca", &c.tls));
  }
  if (root.Has("auth")) {
    ASSIGN_OR_RETURN(ConfigNode a, root.Child("auth"));
    RETURN_IF_ERROR(a.AllowOnly({"tokens_file"}));
    if (a.Has("tokens_file")) {
      ASSIGN_OR_RETURN(c.tokens_file, a.Path("tokens_file"));
    }
  }
  if (root.Has("insecure")) {
    ASSIGN_OR_RETURN(c.insecure, root.Bool("insecure"));
  }
  if (root.Has("listen")) {
    ASSIGN_OR_RETURN(c.listen, root.String("listen"));
    if (auto a = ValidateAddress("listen", c.listen); !a.ok()) {
      return root.Error("listen", a.status().message());
    }
  }
  if (root.Has("http_listen")) {
    ASSIGN_OR_RETURN(c.http_listen, root.String("http_listen"));
    c.http_listen_set = true;
    if (c.http_listen == "off") {
      c.http_listen.clear();
    } else if (auto a = ValidateAddress("http_listen", c.http_listen); !a.ok()) {
      return root.Error("http_listen", a.status().message());
    }
  }
  if (root.Has("data_dir")) {
    ASSIGN_OR_RETURN(c.data_dir, root.Path("data_dir"));
  }
  if (root.Has("retention")) {
    ASSIGN_OR_RETURN(c.retention, root.Duration("retention"));
    if (c.retention < absl::Minutes(1)) return root.Error("retention", "must be at least 1m");
  }
  if (root.Has("records_retention")) {
    ASSIGN_OR_RETURN(c.records_retention, root.Duration("records_retention"));
    if (c.records_retention < absl::Hours(1) || c.records_retention > absl::Hours(24 * 36500)) {
      return root.Error("records_retention", "must be between 1h and 36500d");
    }
  }
  if (root.Has("retention_check_interval")) {
    ASSIGN_OR_RETURN(c.retention_check_interval, root.Duration("retention_check_interval"));
  }
  if (root.Has("sync_writes")) {
    ASSIGN_OR_RETURN(c.sync_writes, root.Bool("sync_writes"));
  }
  if (root.Has("ingest_threads")) {
    ASSIGN_OR_RETURN(int64_t n, root.Int("ingest_threads", 1, 64));
    c.ingest_threads = static_cast<int>(n);
  }
  if (root.Has("log_level")) {
    ASSIGN_OR_RETURN(c.log_level, root.String("log_level"));
  }
  if (root.Has("remote_write")) {
    ASSIGN_OR_RETURN(c.remote_write, LoadRemoteWrite(root));
  }
  if (root.Has("ingest")) {
    ASSIGN_OR_RETURN(ConfigNode i, root.Child("ingest"));
    RETURN_IF_ERROR(LoadIngestLimits(i, &c.ingest));
  }
  if (root.Has("alerting")) {
    ASSIGN_OR_RETURN(ConfigNode a, root.Child("alerting"));
    RETURN_IF_ERROR(LoadAlerting(a, &c.alerting));
  }
  if (root.Has("automation")) {
    ASSIGN_OR_RETURN(ConfigNode a, root.Child("automation"));
    RETURN_IF_ERROR(LoadAutomation(a, &c.automation));
    // A level paging a receiver that does not exist would page no one.
    for (const EscalationLevel& level : c.automation.levels) {
      for (const std::string& r : level.receivers) {
        bool known = false;
        for (const auto& rc : c.alerting.notify.receivers) known |= rc.name == r;
        if (!known) {
          return a.Error("escalation", absl::StrCat("level '", level.name, "' names receiver '", r,
                                                    "', which alerting.receivers does not define"));
        }
      }
    }
  }
  if (root.Has("commands")) {
    ASSIGN_OR_RETURN(ConfigNode cmds, root.Child("commands"));
    RETURN_IF_ERROR(cmds.AllowOnly({"queue_for", "lost_after"}));
    if (cmds.Has("lost_after")) {
      ASSIGN_OR_RETURN(c.command_lost_after, cmds.Duration("lost_after"));
      if (c.command_lost_after < absl::Seconds(1)) {
        return cmds.Error("lost_after", "must be at least 1s");
      }
    }
    if (cmds.Has("queue_for")) {
      ASSIGN_OR_RETURN(c.command_queue_for, cmds.Duration("queue_for"));
      if (c.command_queue_for < absl::Seconds(1)) {
        return cmds.Error("queue_for", "must be at least 1s");
      }
    }
  }
  return c;
}

absl::Status ValidateCollectorConfig(const CollectorConfig& c) {
  RETURN_IF_ERROR(ValidateAddress("--listen", c.listen).status());
  if (c.data_dir.empty()) return absl::InvalidArgumentError("--data-dir must not be empty");
  if (c.retention < absl::Minutes(1)) {
    return absl::InvalidArgumentError("--retention must be at least 1m");
  }
  if (c.retention_check_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError("retention_check_interval must be at least 1s");
  }
  if (c.tls.enabled()) {
    if (c.tls.cert.empty() || c.tls.key.empty() || c.tls.ca.empty()) {
      return absl::InvalidArgumentError(
          "TLS needs all three of --tls-cert, --tls-key and --tls-client-ca (tls: {cert, key, "
          "client_ca}); `rollguard pki init` makes them");
    }
  } else {
    if (!c.tokens_file.empty()) {
      return absl::InvalidArgumentError(
          "--tokens-file needs TLS: a token sent in plaintext can be read and replayed (set "
          "--tls-cert, --tls-key and --tls-client-ca)");
    }
    if (!c.insecure && !c.http_listen.empty() && !IsLoopbackAddress(c.http_listen)) {
      return absl::InvalidArgumentError(
          absl::StrCat("refusing to serve /metrics in plaintext on ", c.http_listen,
                       ": set tls (HTTPS with a token), listen on 127.0.0.1, or pass --insecure"));
    }
    if (!c.insecure && !IsLoopbackAddress(c.listen)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "refusing to serve plaintext on ", c.listen,
          ": anyone who reaches it could roll back the fleet. Set --tls-cert, --tls-key and "
          "--tls-client-ca (`rollguard pki init`), listen on 127.0.0.1, or pass --insecure"));
    }
  }
  return absl::OkStatus();
}

}  // namespace rollguard::collector
