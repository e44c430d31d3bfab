#include "agent/agent.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "absl/strings/str_format.h"
#include "agent/sources/proc_parse.h"
#include "common/address.h"
#include "common/clock.h"
#include "common/files.h"
#include "common/mutex.h"
#include "common/prometheus_text.h"
#include "common/status_macros.h"
#include "common/tls/tls_config.h"

namespace rollguard::agent {
namespace {

std::string RandomInstanceId() {
  std::random_device rd;
  return absl::StrFormat("%08x%08x", rd(), rd());
}

// The collectors to stream to (checked by FinalizeAgentConfig).
std::vector<std::string> Collectors(const std::string& list) {
  absl::StatusOr<std::vector<std::string>> all = SplitAddressList("collector", list);
  return all.ok() ? *all : std::vector<std::string>{list};
}

}  // namespace

Agent::Agent(AgentConfig config, const Clock* clock)
    : config_(std::move(config)),
      clock_(clock),
      buffer_(config_.buffer_max_samples, static_cast<int>(Collectors(config_.collector).size())),
      system_(config_.proc_root, config_.disk_path),
      bot_(config_.proc_root, config_.bot) {
  UplinkOptions up;
  up.tls = config_.tls;  // checked by FinalizeAgentConfig
  up.host_id = config_.host_id;
  up.labels = config_.labels;
  up.agent_version = ROLLGUARD_VERSION;
  up.instance_id = RandomInstanceId();
  up.heartbeat_interval = config_.heartbeat_interval;
  up.reconnect_initial = config_.reconnect_initial;
  up.reconnect_max = config_.reconnect_max;
  if (config_.playbooks.enabled) {
    runner_ = std::make_unique<PlaybookRunner>(config_.playbooks, clock_);
    up.playbooks = runner_->config().Names();
    up.on_command = [this](rollguard::v1::Command c) { executor_->Submit(std::move(c)); };
  }
  const std::vector<std::string> collectors = Collectors(config_.collector);
  for (size_t i = 0; i < collectors.size(); ++i) {
    UplinkOptions one = up;
    one.collector = collectors[i];
    one.consumer = static_cast<int>(i);
    uplinks_.push_back(std::make_unique<Uplink>(std::move(one), &registry_, &buffer_, clock_));
  }
  if (runner_) {
    // Progress goes to every collector: whichever leads next knows it.
    executor_ = std::make_unique<CommandExecutor>(runner_.get(), [this](auto update) {
      for (auto& u : uplinks_) u->SendCommandUpdate(update);
    });
  }
}

Agent::~Agent() {
  if (metrics_http_) metrics_http_->Stop();
  if (prober_) prober_->Stop();
  if (scraper_) scraper_->Stop();
  if (statsd_) statsd_->Stop();
  for (auto& u : uplinks_) u->Stop();
  if (executor_) executor_->Stop();
}

absl::Status Agent::Init() {
  if (config_.tls.enabled()) {
    absl::StatusOr<std::string> described = CheckTlsFiles(config_.tls, true, "--tls-");
    spdlog::info("tls: on ({})", described.ok() ? *described : described.status().ToString());
  } else if (std::any_of(uplinks_.begin(), uplinks_.end(),
                         [](const auto& u) { return !IsLoopbackAddress(u->collector()); })) {
    spdlog::warn(
        "tls: off: samples and commands to {} travel in plaintext, and anyone can "
        "claim to be that collector (set --tls-ca/--tls-cert/--tls-key)",
        config_.collector);
  }
  if (!config_.spool_dir.empty()) {
    RETURN_IF_ERROR(OpenSpool());
  } else {
    spdlog::warn(
        "spool: off: samples buffered during an outage are lost if the agent restarts (set "
        "state_dir or buffer.spool_dir)");
  }
  if (!config_.statsd_listen.empty()) {
    StatsdServerOptions so;
    so.listen = config_.statsd_listen;
    so.receive_buffer_bytes = config_.statsd_receive_buffer;
    so.mapping = config_.statsd_mapping;
    auto server = StatsdServer::Start(std::move(so));
    if (!server.ok()) return server.status();
    statsd_ = std::move(*server);
  }
  if (!config_.probes.empty()) {
    prober_ =
        std::make_unique<Prober>(config_.probes, [this](Readings r, int64_t ts) { Emit(r, ts); });
  }
  if (!config_.metrics_listen.empty()) {
    MetricsHttpOptions mo;
    mo.listen = config_.metrics_listen;
    mo.flag_name = "metrics_listen";
    mo.metrics = [this] { return MetricsPage(); };
    metrics_http_ = std::make_unique<MetricsHttpServer>(std::move(mo));
    if (absl::Status s = metrics_http_->Start(); !s.ok()) return s;
  }
  if (!config_.scrape.empty()) {
    scraper_ =
        std::make_unique<Scraper>(config_.scrape, [this](Readings r, int64_t ts) { Emit(r, ts); });
  }
  return absl::OkStatus();
}

absl::Status Agent::OpenSpool() {
  SpoolOptions options;
  options.dir = config_.spool_dir;
  options.max_bytes = config_.spool_max_bytes;
  ASSIGN_OR_RETURN(std::unique_ptr<Spool> spool, Spool::Open(std::move(options), &registry_));
  const SpoolRecovery& r = spool->recovery();
  for (const std::string& damage : r.damage) spdlog::warn("spool: {}", damage);
  if (r.batches.empty()) {
    spdlog::info("spool: {} (up to {} bytes on disk)", config_.spool_dir, config_.spool_max_bytes);
  } else {
    spdlog::info("spool: {}: {} samples in {} batches from an earlier run will be sent first",
                 config_.spool_dir, r.samples, r.batches.size());
  }
  buffer_.AttachSpool(std::move(spool));
  return absl::OkStatus();
}

void Agent::Emit(const Readings& readings, int64_t timestamp_ms) {
  std::vector<BufferedSample> samples;
  samples.reserve(readings.size());
  for (const Reading& r : readings) {
    samples.push_back({registry_.IdFor(r.metric, r.labels), timestamp_ms, r.value});
  }
  buffer_.Push(std::move(samples));
}

void Agent::SampleOnce() {
  Readings readings;
  readings.reserve(16);
  system_.Sample(&readings);
  bot_.Sample(&readings);
  // The agent's own health, so a full buffer or a bloated agent is visible.
  if (auto status = ReadFile(config_.proc_root + "/self/status"); status.ok()) {
    if (auto kb = ParseVmRssKb(*status); kb.ok()) {
      readings.push_back({"agent_rss_mb", {}, static_cast<double>(*kb) / 1024.0});
    }
  }
  readings.push_back(
      {"agent_buffered_samples", {}, static_cast<double>(buffer_.buffered_samples())});
  readings.push_back({"agent_dropped_samples", {}, static_cast<double>(buffer_.dropped_samples())});
  int64_t now_ms = clock_->NowMs();
  if (statsd_) statsd_->Collect(now_ms, &readings);
  Emit(readings, now_ms);
}

void Agent::Run() {
  spdlog::info("agent {} starting: host '{}', collector {}, interval {}ms", ROLLGUARD_VERSION,
               config_.host_id, config_.collector, absl::ToInt64Milliseconds(config_.interval));
  if (bot_.disabled()) spdlog::info("no bot pidfile or cmdline_match configured: bot not watched");
  if (config_.playbooks.enabled) {
    if (const char* w = SharedCgroupWarning(config_.playbooks.service)) spdlog::warn("{}", w);
  }
  if (uplinks_.size() > 1 && runner_ && config_.playbooks.state_dir.empty()) {
    // The fence against a deposed collector's commands then lives in memory:
    // an agent restart forgets the epoch it had seen.
    spdlog::warn(
        "{} collectors (HA) but no state_dir: the highest leader epoch seen is kept in memory "
        "only, so after a restart a deposed collector's command would not be refused; set "
        "state_dir",
        uplinks_.size());
  }
  if (StateDirInsideRoot(config_.playbooks)) {
    // The bot can write there: it could edit the journal undo replays or
    // the record of commands that ran. Fine for a demo, not for a fleet.
    spdlog::warn(
        "state_dir {} is inside the service root {}: the bot's user can change the agent's "
        "journal and command records; put state_dir outside it (e.g. /var/lib/rollguard-agent)",
        config_.playbooks.state_dir, config_.playbooks.service.root);
  }
  if (executor_) executor_->Start();
  for (auto& u : uplinks_) u->Start();
  if (prober_) prober_->Start();
  if (scraper_) scraper_->Start();
  absl::Time next = clock_->Now();
  MutexLock lock(&mu_);
  while (!stop_) {
    lock.Unlock();
    SampleOnce();
    lock.Lock();
    // Fixed-rate schedule; if a pass overran, skip ahead instead of bursting.
    next += config_.interval;
    absl::Time now = clock_->Now();
    if (next < now) next = now + config_.interval;
    cv_.wait_for(lock.native(), absl::ToChronoMilliseconds(next - now), [&] { return stop_; });
  }
  lock.Unlock();
  if (prober_) prober_->Stop();
  if (scraper_) scraper_->Stop();
  if (statsd_) statsd_->Stop();
  for (auto& u : uplinks_) u->Stop();
  if (executor_) executor_->Stop();
  if (metrics_http_) metrics_http_->Stop();
  spdlog::info("agent stopped ({} samples still buffered)", buffer_.buffered_samples());
}

std::string Agent::MetricsPage() const {
  auto d = [](auto v) { return static_cast<double>(v); };
  PrometheusText p;
  p.Family("rollguard_agent_build_info", "gauge", "The agent's version.");
  p.Sample(1, {{"version", ROLLGUARD_VERSION}, {"host", config_.host_id}});
  uint64_t reconnects = 0, refused = 0;
  for (const auto& u : uplinks_) {
    reconnects += u->reconnects();
    refused += u->refused_samples();
  }
  p.Family("rollguard_agent_connected", "gauge",
           "1 while the stream to the collector is up (one per collector of an HA pair).");
  if (uplinks_.size() == 1) {
    p.Sample(uplinks_[0]->connected() ? 1 : 0);
  } else {
    for (const auto& u : uplinks_)
      p.Sample(u->connected() ? 1 : 0, {{"collector", u->collector()}});
  }
  p.Family("rollguard_agent_reconnects_total", "counter", "Streams to the collector reopened.");
  p.Sample(d(reconnects));
  p.Family("rollguard_agent_buffered_samples", "gauge",
           "Samples held for the collector (not yet acknowledged).");
  p.Sample(d(buffer_.buffered_samples()));
  p.Family("rollguard_agent_dropped_samples_total", "counter",
           "Samples dropped because the buffer was full (the oldest go first).");
  p.Sample(d(buffer_.dropped_samples()));
  if (SpoolStats spool = buffer_.spool_stats(); spool.enabled) {
    p.Family("rollguard_agent_spool_bytes", "gauge",
             "Bytes of the disk spool's files (buffered batches, kept across restarts).");
    p.Sample(d(spool.bytes));
    p.Family("rollguard_agent_spool_segments", "gauge", "Files in the disk spool.");
    p.Sample(d(spool.segments));
    p.Family("rollguard_agent_spool_resident_samples", "gauge",
             "Buffered samples also held in memory (the rest are read back from the spool).");
    p.Sample(d(spool.resident_samples));
    p.Family("rollguard_agent_spool_write_errors_total", "counter",
             "Batches the spool could not write (kept in memory only; see the log).");
    p.Sample(d(spool.write_errors));
    p.Family("rollguard_agent_spool_read_errors_total", "counter",
             "Spooled batches that could not be read back (dropped; see the log).");
    p.Sample(d(spool.read_errors));
  }
  p.Family("rollguard_agent_refused_samples_total", "counter",
           "Samples the collector refused (see the agent log for why).");
  p.Sample(d(refused));
  p.Family("rollguard_agent_series", "gauge", "Series this agent has defined.");
  p.Sample(d(registry_.size()));
  if (statsd_) {
    p.Family("rollguard_agent_statsd_lines_total", "counter", "StatsD lines received.");
    p.Sample(d(statsd_->lines()));
    p.Family("rollguard_agent_statsd_bad_lines_total", "counter",
             "StatsD lines that did not parse (logged).");
    p.Sample(d(statsd_->bad_lines()));
    p.Family("rollguard_agent_statsd_socket_drops_total", "counter",
             "Datagrams the kernel dropped before the agent read them.");
    p.Sample(d(statsd_->socket_drops()));
  }
  if (auto status = ReadFile(config_.proc_root + "/self/status"); status.ok()) {
    if (auto kb = ParseVmRssKb(*status); kb.ok()) {
      p.Family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
      p.Sample(d(*kb) * 1024);
    }
  }
  return p.text();
}

void Agent::Stop() {
  MutexLock lock(&mu_);
  stop_ = true;
  cv_.notify_all();
}

}  // namespace rollguard::agent
