#include "agent/agent_config.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/address.h"
#include "common/config_node.h"
#include "common/status_macros.h"
#include "common/tls/tls_config.h"

namespace rollguard::agent {
namespace {

absl::Status LoadStatsd(const ConfigNode& node, AgentConfig* c) {
  RETURN_IF_ERROR(node.AllowOnly({"listen", "receive_buffer", "window", "mapping"}));
  if (node.Has("listen")) {
    ASSIGN_OR_RETURN(c->statsd_listen, node.String("listen"));
    if (c->statsd_listen == "off") c->statsd_listen.clear();
  }
  if (node.Has("receive_buffer")) {
    ASSIGN_OR_RETURN(int64_t n, node.Int("receive_buffer", 65536, 1 << 30));
    c->statsd_receive_buffer = static_cast<int>(n);
  }
  if (node.Has("window")) {
    ASSIGN_OR_RETURN(absl::Duration w, node.Duration("window"));
    if (w < absl::Seconds(1) || w > absl::Hours(24)) {
      return node.Error("window", "must be between 1s and 24h");
    }
    c->statsd_mapping.window_seconds = static_cast<int>(absl::ToInt64Seconds(w));
  }
  if (node.Has("mapping")) {
    ASSIGN_OR_RETURN(ConfigNode m, node.Child("mapping"));
    RETURN_IF_ERROR(
        m.AllowOnly({"response_time", "errors", "channel_creation", "op_tag", "type_tag"}));
    StatsdMapping& sm = c->statsd_mapping;
    if (m.Has("response_time")) {
      ASSIGN_OR_RETURN(sm.response_time, m.String("response_time"));
    }
    if (m.Has("errors")) {
      ASSIGN_OR_RETURN(sm.errors, m.String("errors"));
    }
    if (m.Has("channel_creation")) {
      ASSIGN_OR_RETURN(sm.channel_creation, m.String("channel_creation"));
    }
    if (m.Has("op_tag")) {
      ASSIGN_OR_RETURN(sm.op_tag, m.String("op_tag"));
    }
    if (m.Has("type_tag")) {
      ASSIGN_OR_RETURN(sm.type_tag, m.String("type_tag"));
    }
  }
  return absl::OkStatus();
}

// Scraped series over all targets of one agent.
constexpr int64_t kMaxScrapeSeries = 5000;

absl::StatusOr<ScrapeConfig> LoadScrape(const ConfigNode& n) {
  RETURN_IF_ERROR(n.AllowOnly({"name", "url", "interval", "timeout", "max_series", "max_body_bytes",
                               "metric_prefix", "tls_verify"}));
  ScrapeConfig t;
  if (!n.Has("name")) return n.Error("name", "every scrape target needs a name");
  ASSIGN_OR_RETURN(t.name, n.String("name"));
  if (!IsValidLabelName(t.name) || t.name.size() > 64) {
    return n.Error("name",
                   "must match [a-zA-Z_][a-zA-Z0-9_]*, at most 64 (it is the scrape label)");
  }
  if (!n.Has("url")) return n.Error("url", "every scrape target needs a url");
  ASSIGN_OR_RETURN(t.url, n.String("url"));
  if (t.url.rfind("http://", 0) != 0 && t.url.rfind("https://", 0) != 0) {
    return n.Error("url", "must start with http:// or https://");
  }
  if (n.Has("interval")) {
    ASSIGN_OR_RETURN(t.interval, n.Duration("interval"));
    if (t.interval < absl::Milliseconds(100)) return n.Error("interval", "must be at least 100ms");
  }
  if (n.Has("timeout")) {
    ASSIGN_OR_RETURN(t.timeout, n.Duration("timeout"));
    // Stopping the agent waits for a scrape in flight.
    if (t.timeout < absl::Milliseconds(100) || t.timeout > absl::Seconds(60)) {
      return n.Error("timeout", "must be between 100ms and 60s");
    }
  }
  if (n.Has("max_series")) {
    ASSIGN_OR_RETURN(int64_t m, n.Int("max_series", 1, kMaxScrapeSeries));
    t.max_series = static_cast<size_t>(m);
  }
  if (n.Has("max_body_bytes")) {
    ASSIGN_OR_RETURN(int64_t m, n.Int("max_body_bytes", 1024, 16 << 20));
    t.max_body_bytes = static_cast<size_t>(m);
  }
  if (n.Has("metric_prefix")) {
    ASSIGN_OR_RETURN(t.metric_prefix, n.String("metric_prefix"));
    if (!t.metric_prefix.empty() && !IsValidMetricName(t.metric_prefix)) {
      return n.Error("metric_prefix", "must be the start of a metric name ([a-zA-Z_:]...)");
    }
  }
  if (n.Has("tls_verify")) {
    ASSIGN_OR_RETURN(t.tls_verify, n.Bool("tls_verify"));
  }
  return t;
}

absl::StatusOr<ProbeConfig> LoadProbe(const ConfigNode& n) {
  RETURN_IF_ERROR(n.AllowOnly({"name", "kind", "method", "url", "headers", "body", "timeout",
                               "interval", "expect_status", "expect_body_contains", "tls_verify"}));
  ProbeConfig p;
  if (!n.Has("name")) return n.Error("name", "every probe needs a name");
  ASSIGN_OR_RETURN(p.name, n.String("name"));
  if (!IsValidLabelName(p.name)) {
    return n.Error("name", "must match [a-zA-Z_][a-zA-Z0-9_]* (it names <name>_downtime)");
  }
  if (!n.Has("url")) return n.Error("url", "every probe needs a url");
  ASSIGN_OR_RETURN(p.url, n.String("url"));
  if (p.url.rfind("http://", 0) != 0 && p.url.rfind("https://", 0) != 0) {
    return n.Error("url", "must start with http:// or https://");
  }
  if (n.Has("kind")) {
    ASSIGN_OR_RETURN(std::string kind, n.String("kind"));
    if (kind == "http") {
      p.kind = ProbeKind::kHttp;
    } else if (kind == "mcp") {
      p.kind = ProbeKind::kMcp;
    } else if (kind == "discord") {
      p.kind = ProbeKind::kDiscord;
    } else {
      return n.Error("kind", absl::StrCat("'", kind, "' is not one of http, mcp, discord"));
    }
  }
  if (n.Has("method")) {
    ASSIGN_OR_RETURN(p.method, n.String("method"));
    if (p.method != "GET" && p.method != "POST" && p.method != "HEAD" && p.method != "PUT") {
      return n.Error("method", "must be GET, POST, HEAD or PUT");
    }
  } else {
    p.method.clear();
  }
  if (n.Has("headers")) {
    ASSIGN_OR_RETURN(Labels h, n.StringMap("headers", /*any_keys=*/true));
    p.headers = std::map<std::string, std::string>(h.begin(), h.end());
  }
  if (n.Has("body")) {
    ASSIGN_OR_RETURN(p.body, n.String("body"));
  }
  if (n.Has("timeout")) {
    ASSIGN_OR_RETURN(p.timeout, n.Duration("timeout"));
  }
  if (n.Has("interval")) {
    ASSIGN_OR_RETURN(p.interval, n.Duration("interval"));
  }
  if (p.interval < absl::Milliseconds(100)) return n.Error("interval", "must be at least 100ms");
  if (p.timeout < absl::Milliseconds(10)) return n.Error("timeout", "must be at least 10ms");
  if (n.Has("expect_status")) {
    ASSIGN_OR_RETURN(int64_t st, n.Int("expect_status", 100, 599));
    p.expect_status = static_cast<int>(st);
  }
  if (n.Has("expect_body_contains")) {
    ASSIGN_OR_RETURN(p.expect_body_contains, n.String("expect_body_contains"));
  }
  if (n.Has("tls_verify")) {
    ASSIGN_OR_RETURN(p.tls_verify, n.Bool("tls_verify"));
  }
  if (p.method.empty()) p.method = "GET";
  ApplyProbeKindDefaults(&p);
  return p;
}

// `name` as one safe path component: [A-Za-z0-9._-] kept, every other byte
// (and a leading dot) as %XX.
std::string PathSafe(absl::string_view name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char ch = static_cast<unsigned char>(name[i]);
    const bool keep = absl::ascii_isalnum(ch) || ch == '-' || ch == '_' || (ch == '.' && i > 0);
    if (keep) {
      out.push_back(static_cast<char>(ch));
    } else {
      absl::StrAppend(&out, absl::StrFormat("%%%02X", ch));
    }
  }
  return out;
}

// buffer: {max_samples, spool_dir (a path or "off"), max_bytes}
absl::Status LoadBuffer(const ConfigNode& node, AgentConfig* c) {
  RETURN_IF_ERROR(node.AllowOnly({"max_samples", "spool_dir", "max_bytes"}));
  if (node.Has("max_samples")) {
    ASSIGN_OR_RETURN(int64_t n, node.Int("max_samples", 100, 100'000'000));
    c->buffer_max_samples = static_cast<size_t>(n);
  }
  if (node.Has("spool_dir")) {
    ASSIGN_OR_RETURN(std::string dir, node.String("spool_dir"));
    if (dir == "off") {
      c->spool_dir.clear();
    } else {
      ASSIGN_OR_RETURN(c->spool_dir, node.Path("spool_dir"));
    }
    c->spool_dir_set = true;
  }
  if (node.Has("max_bytes")) {
    ASSIGN_OR_RETURN(c->spool_max_bytes, node.Bytes("max_bytes", 1ull << 20, 64ull << 30));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AgentConfig> LoadAgentConfig(const std::string& path, AgentConfig c) {
  ASSIGN_OR_RETURN(ConfigNode root, ConfigNode::LoadFile(path));
  RETURN_IF_ERROR(root.AllowOnly({"collector",
                                  "host_id",
                                  "interval",
                                  "labels",
                                  "bot",
                                  "disk_path",
                                  "proc_root",
                                  "buffer_max_samples",
                                  "heartbeat_interval",
                                  "reconnect",
                                  "log_level",
                                  "statsd",
                                  "probes",
                                  "scrape",
                                  "service",
                                  "playbooks",
                                  "state_dir",
                                  "tls",
                                  "metrics_listen",
                                  "buffer"}));
  if (root.Has("tls")) {
    ASSIGN_OR_RETURN(ConfigNode t, root.Child("tls"));
    RETURN_IF_ERROR(LoadTlsSection(t, "ca", &c.tls));
  }
  RETURN_IF_ERROR(LoadPlaybookConfig(root, &c.playbooks));
  if (root.Has("collector")) {
    // One address, or an HA pair's members (a list, or "a:7700,b:7700").
    ASSIGN_OR_RETURN(std::vector<std::string> list, root.Strings("collector"));
    c.collector = absl::StrJoin(list, ",");
    if (auto a = SplitAddressList("collector", c.collector); !a.ok()) {
      return root.Error("collector", a.status().message());
    }
  }
  if (root.Has("host_id")) {
    ASSIGN_OR_RETURN(c.host_id, root.String("host_id"));
  }
  if (root.Has("interval")) {
    ASSIGN_OR_RETURN(c.interval, root.Duration("interval"));
  }
  if (root.Has("labels")) {
    ASSIGN_OR_RETURN(c.labels, root.StringMap("labels"));
  }
  if (root.Has("disk_path")) {
    ASSIGN_OR_RETURN(c.disk_path, root.Path("disk_path"));
  }
  if (root.Has("proc_root")) {
    ASSIGN_OR_RETURN(c.proc_root, root.Path("proc_root"));
  }
  if (root.Has("buffer_max_samples")) {
    ASSIGN_OR_RETURN(int64_t n, root.Int("buffer_max_samples", 100, 100'000'000));
    c.buffer_max_samples = static_cast<size_t>(n);
  }
  if (root.Has("buffer")) {
    ASSIGN_OR_RETURN(ConfigNode b, root.Child("buffer"));
    RETURN_IF_ERROR(LoadBuffer(b, &c));
  }
  if (root.Has("heartbeat_interval")) {
    ASSIGN_OR_RETURN(c.heartbeat_interval, root.Duration("heartbeat_interval"));
  }
  if (root.Has("log_level")) {
    ASSIGN_OR_RETURN(c.log_level, root.String("log_level"));
  }
  if (root.Has("bot")) {
    ASSIGN_OR_RETURN(ConfigNode bot, root.Child("bot"));
    RETURN_IF_ERROR(bot.AllowOnly({"pidfile", "cmdline_match", "unit", "cgroup"}));
    if (bot.Has("unit")) {
      ASSIGN_OR_RETURN(std::string unit, bot.String("unit"));
      c.bot.cgroup = UnitCgroup(unit.find('.') == std::string::npos ? unit + ".service" : unit);
    }
    if (bot.Has("cgroup")) {
      ASSIGN_OR_RETURN(c.bot.cgroup, bot.Path("cgroup"));
    }
    if (bot.Has("pidfile")) {
      ASSIGN_OR_RETURN(c.bot.pidfile, bot.Path("pidfile"));
    }
    if (bot.Has("cmdline_match")) {
      ASSIGN_OR_RETURN(c.bot.cmdline_match, bot.String("cmdline_match"));
    }
  }
  // A bot under systemd is watched through its unit unless told otherwise.
  if (c.playbooks.service.manager == ServiceManager::kSystemd && c.bot.pidfile.empty() &&
      c.bot.cmdline_match.empty() && c.bot.cgroup.empty()) {
    c.bot.cgroup = UnitCgroup(c.playbooks.service.unit);
  }
  if (root.Has("reconnect")) {
    ASSIGN_OR_RETURN(ConfigNode rc, root.Child("reconnect"));
    RETURN_IF_ERROR(rc.AllowOnly({"initial_backoff", "max_backoff"}));
    if (rc.Has("initial_backoff")) {
      ASSIGN_OR_RETURN(c.reconnect_initial, rc.Duration("initial_backoff"));
    }
    if (rc.Has("max_backoff")) {
      ASSIGN_OR_RETURN(c.reconnect_max, rc.Duration("max_backoff"));
    }
  }
  if (root.Has("statsd")) {
    ASSIGN_OR_RETURN(ConfigNode statsd, root.Child("statsd"));
    RETURN_IF_ERROR(LoadStatsd(statsd, &c));
  }
  if (root.Has("probes")) {
    ASSIGN_OR_RETURN(std::vector<ConfigNode> probes, root.MapList("probes"));
    c.probes.clear();
    for (const ConfigNode& n : probes) {
      ASSIGN_OR_RETURN(ProbeConfig p, LoadProbe(n));
      for (const ProbeConfig& other : c.probes) {
        if (other.name == p.name)
          return n.Error("name", absl::StrCat("duplicate probe '", p.name, "'"));
      }
      c.probes.push_back(std::move(p));
    }
  }
  if (root.Has("metrics_listen")) {
    ASSIGN_OR_RETURN(c.metrics_listen, root.String("metrics_listen"));
    if (c.metrics_listen == "off") c.metrics_listen.clear();
  }
  if (root.Has("scrape")) {
    ASSIGN_OR_RETURN(std::vector<ConfigNode> targets, root.MapList("scrape"));
    c.scrape.clear();
    for (const ConfigNode& n : targets) {
      ASSIGN_OR_RETURN(ScrapeConfig t, LoadScrape(n));
      for (const ScrapeConfig& other : c.scrape) {
        if (other.name == t.name) {
          return n.Error("name", absl::StrCat("duplicate scrape target '", t.name, "'"));
        }
      }
      c.scrape.push_back(std::move(t));
    }
    // The collector takes 10,000 series from one agent; the host's own and
    // StatsD's need room too.
    size_t total = 0;
    for (const ScrapeConfig& t : c.scrape) total += t.max_series;
    if (total > kMaxScrapeSeries) {
      return root.Error(
          "scrape",
          absl::StrCat("max_series adds up to ", total,
                       " over all targets; "
                       "at most ",
                       kMaxScrapeSeries, " (the collector takes 10000 series from an agent)"));
    }
  }
  if (root.Has("interval") && c.interval < absl::Milliseconds(100)) {
    return root.Error("interval", "must be at least 100ms");
  }
  return c;
}

absl::Status FinalizeAgentConfig(AgentConfig* c) {
  if (c->host_id.empty()) {
    char name[256] = {0};
    if (::gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') {
      return absl::InvalidArgumentError("cannot read the hostname; pass --host-id");
    }
    c->host_id = name;
  }
  ASSIGN_OR_RETURN(std::vector<std::string> collectors,
                   SplitAddressList("--collector", c->collector));
  if (collectors.size() > 8) {
    return absl::InvalidArgumentError(absl::StrCat("--collector: ", collectors.size(),
                                                   " collectors; at most 8 (an HA pair needs 2)"));
  }
  if (c->interval < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError("--interval must be at least 100ms");
  }
  if (c->reconnect_initial <= absl::ZeroDuration() || c->reconnect_max < c->reconnect_initial) {
    return absl::InvalidArgumentError(
        "reconnect: initial_backoff must be > 0 and max_backoff >= initial_backoff");
  }
  if (c->heartbeat_interval < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError("heartbeat_interval must be at least 100ms");
  }
  if (c->tls.enabled()) {
    RETURN_IF_ERROR(CheckTlsFiles(c->tls, /*need_identity=*/true, "--tls-").status());
  }
  if (!c->spool_dir_set) {
    // Under systemd's StateDirectory= (the packaged unit) the spool has a
    // home even when the agent runs from flags alone.
    std::string state = c->playbooks.state_dir;
    if (const char* sd = std::getenv("STATE_DIRECTORY"); state.empty() && sd != nullptr) {
      state = std::string(absl::string_view(sd).substr(0, absl::string_view(sd).find(':')));
    }
    // Per host id: a spooled sample belongs to the host that took it, and
    // agents sharing a state folder (tests, several bots on one box) each
    // get their own.
    if (!state.empty()) c->spool_dir = absl::StrCat(state, "/spool/", PathSafe(c->host_id));
  }
  if (!c->metrics_listen.empty()) {
    if (auto a = ValidateAddress("metrics_listen", c->metrics_listen); !a.ok()) return a.status();
    // Plaintext without auth: a local Prometheus or node agent scrapes it.
    if (!IsLoopbackAddress(c->metrics_listen)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metrics_listen: ", c->metrics_listen,
          " is not a loopback address; the agent serves /metrics on 127.0.0.1 or [::1] only "
          "(scrape it from this host, or read the host's health from the collector)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace rollguard::agent
