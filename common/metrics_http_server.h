// A small HTTP server for GET /metrics (Prometheus text format), shared by
// the collector (--http-listen) and the agent (metrics_listen). cpp-httplib
// underneath, with what its defaults lack: a bounded handler queue (when the
// threads are busy and the queue is full, accepting waits and the wait is
// counted), no SO_REUSEPORT (a second process cannot share the port), short
// timeouts and a small request bound (64 KiB: GETs and small JSON POSTs).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"

namespace httplib {
class Server;
}

namespace rollguard {

struct MetricsHttpOptions {
  std::string listen;     // HOST:PORT (PORT 0: any free one)
  std::string flag_name;  // names the setting in errors and logs ("http_listen")
  // Both set: HTTPS with this certificate.
  std::string cert_file;
  std::string key_file;
  // Null: every request is served. Else called with the Authorization header;
  // false answers 401 with `unauthorized_hint`.
  std::function<bool(const std::string& authorization)> authorize;
  std::string unauthorized_hint;
  std::function<std::string()> metrics;  // the page, rendered per request
  // More routes on the same server (the collector's web console), added
  // before it starts; they get the same bounds.
  std::function<void(httplib::Server*)> routes;
  std::string routes_name;  // for the start-up line ("console")
};

class MetricsHttpServer {
 public:
  explicit MetricsHttpServer(MetricsHttpOptions options);
  ~MetricsHttpServer();

  // Binds and starts serving; an error names the setting and the address.
  [[nodiscard]] absl::Status Start();
  void Stop();  // idempotent
  int port() const { return port_; }
  // Times accepting waited for a free handler (the bound was hit).
  uint64_t queue_full() const { return queue_full_->load(); }

 private:
  class BoundedQueue;
  // No port sharing, the bounded queue, timeouts and body rules.
  static void ApplyBounds(httplib::Server* server, std::shared_ptr<std::atomic<uint64_t>> full);

  MetricsHttpOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::shared_ptr<std::atomic<uint64_t>> queue_full_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace rollguard
