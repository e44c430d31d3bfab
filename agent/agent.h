// The agent: samples its sources every interval into the buffer, which the
// uplink streams to the collector.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "agent/agent_config.h"
#include "agent/buffer/sample_buffer.h"
#include "agent/buffer/series_registry.h"
#include "agent/sources/bot_process.h"
#include "agent/sources/system_sampler.h"
#include "agent/uplink/uplink.h"

namespace rollguard::agent {

class Agent {
 public:
  explicit Agent(AgentConfig config);
  ~Agent();

  // Samples every interval until Stop(); returns then. Starts the uplink.
  void Run();
  // Safe from another thread or a signal-handling thread.
  void Stop();

  // One sampling pass (exposed for benchmarks): readings → buffer.
  void SampleOnce();

 private:
  AgentConfig config_;
  SeriesRegistry registry_;
  SampleBuffer buffer_;
  SystemSampler system_;
  BotProcessProbe bot_;
  std::unique_ptr<Uplink> uplink_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace rollguard::agent
