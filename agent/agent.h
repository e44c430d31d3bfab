// The agent: samples its sources every interval into the buffer, which the
// uplink streams to the collector; runs the collector's commands with the
// playbooks in its own config.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>

#include "agent/agent_config.h"
#include "agent/buffer/sample_buffer.h"
#include "agent/buffer/series_registry.h"
#include "agent/commands/command_executor.h"
#include "agent/probes/http_probe.h"
#include "agent/scrape/scraper.h"
#include "agent/sources/bot_process.h"
#include "agent/sources/system_sampler.h"
#include "agent/statsd/statsd_server.h"
#include "agent/uplink/uplink.h"
#include "common/clock.h"
#include "common/metrics_http_server.h"
#include "common/mutex.h"

namespace rollguard::agent {

class Agent {
 public:
  // `clock`: sampling times and intervals, handed to the runner and uplink.
  explicit Agent(AgentConfig config, const Clock* clock = &Clock::Real());
  ~Agent();

  // Opens what can fail at start-up (the spool, the StatsD socket). Call
  // before Run.
  [[nodiscard]] absl::Status Init();

  // Samples every interval until Stop(); returns then. Starts the uplink and probes.
  void Run();
  // Safe from another thread or a signal-handling thread.
  void Stop();

  // One sampling pass (exposed for benchmarks): readings → buffer.
  void SampleOnce();

  // Any source's readings → buffer. Thread-safe.
  void Emit(const Readings& readings, int64_t timestamp_ms);

  // The bound StatsD port (0 when off), e.g. after listening on port 0.
  int statsd_port() const { return statsd_ ? statsd_->port() : 0; }
  // The agent's health in Prometheus text format (GET /metrics).
  std::string MetricsPage() const;

 private:
  // The disk spool: its batches from an earlier run go to the buffer first.
  absl::Status OpenSpool();

  AgentConfig config_;
  const Clock* const clock_;
  SeriesRegistry registry_;
  SampleBuffer buffer_;
  SystemSampler system_;
  BotProcessProbe bot_;
  std::unique_ptr<PlaybookRunner> runner_;     // when the config has playbooks
  std::unique_ptr<CommandExecutor> executor_;  // runs the collector's commands
  // One per collector (an HA pair has two), each with its own cursor in
  // buffer_: every collector gets every sample.
  std::vector<std::unique_ptr<Uplink>> uplinks_;
  std::unique_ptr<StatsdServer> statsd_;
  std::unique_ptr<Prober> prober_;
  std::unique_ptr<Scraper> scraper_;
  std::unique_ptr<MetricsHttpServer> metrics_http_;  // metrics_listen

  Mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace rollguard::agent
