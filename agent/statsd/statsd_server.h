// The agent's StatsD receiver: a UDP socket on loopback (default
// 127.0.0.1:8125), read in batches with recvmmsg on one thread, parsed without
// allocation and aggregated. The socket's receive buffer is sized for bursts,
// and the kernel's own count of datagrams dropped at the socket (SO_RXQ_OVFL)
// is reported, so "no loss at the socket" is measured, not assumed.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "agent/sources/reading.h"
#include "agent/statsd/statsd_aggregator.h"
#include "common/mutex.h"

namespace rollguard::agent {

struct StatsdServerOptions {
  std::string listen = "127.0.0.1:8125";
  int receive_buffer_bytes = 8 * 1024 * 1024;
  StatsdMapping mapping;
};

// Thread-safe.
class StatsdServer {
 public:
  // Binds and starts the receiving thread. Errors name the address.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<StatsdServer>> Start(
      StatsdServerOptions options);
  ~StatsdServer();

  // Idempotent.
  void Stop();

  // The interval's readings (summary, pass-through, the receiver's own counters).
  void Collect(int64_t now_ms, Readings* out);

  int port() const { return port_; }
  uint64_t lines() const { return lines_.load(); }
  uint64_t bad_lines() const { return bad_lines_.load(); }
  uint64_t socket_drops() const { return socket_drops_.load(); }
  int receive_buffer_bytes() const { return rcvbuf_; }

 private:
  StatsdServer(int fd, int port, int rcvbuf, StatsdMapping mapping);
  void Loop();
  void LogBadLine(absl::string_view line, const absl::Status& why);

  const int fd_;
  const int wake_fd_;  // written by Stop to end the receiver's poll
  const int port_;
  const int rcvbuf_;
  std::thread thread_;
  std::atomic<bool> stop_{false};

  Mutex mu_;
  StatsdAggregator aggregator_ ABSL_GUARDED_BY(mu_);

  std::atomic<uint64_t> lines_{0};
  std::atomic<uint64_t> bad_lines_{0};
  std::atomic<uint64_t> socket_drops_{0};
  int64_t last_bad_log_ms_ = 0;  // receiver thread only
  uint64_t bad_not_logged_ = 0;  // receiver thread only
};

}  // namespace rollguard::agent
