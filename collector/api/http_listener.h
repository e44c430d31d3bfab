// The collector's HTTP side (--http-listen, default 127.0.0.1:7780): GET
// /metrics for Prometheus. Plaintext only on loopback (or with --insecure);
// with the collector's TLS configured it serves HTTPS with the same
// certificate and wants a bearer token of any role (`rollguard pki token`),
// as Prometheus sends with `authorization: {credentials_file: ...}`.
// Connections are handled by a few threads; when they are all busy and the
// queue is full, accepting waits (the kernel's backlog holds the rest) and
// the wait is counted.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "common/tls/grpc_tls.h"

namespace httplib {
class Server;
}

namespace rollguard::collector {

class TokenStore;

struct HttpListenerOptions {
  std::string listen;                  // HOST:PORT (PORT 0: any free one)
  TlsFiles tls;                        // cert and key: HTTPS
  const TokenStore* tokens = nullptr;  // with TLS: a token is required
  std::function<std::string()> metrics;
};

class HttpListener {
 public:
  explicit HttpListener(HttpListenerOptions options);
  ~HttpListener();

  // Binds and starts serving; an error names the address.
  [[nodiscard]] absl::Status Start();
  void Stop();  // idempotent
  int port() const { return port_; }
  // Times accepting waited for a free handler (the bound was hit).
  uint64_t queue_full() const;

 private:
  class BoundedQueue;
  bool Authorized(const std::string& authorization) const;

  HttpListenerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::shared_ptr<std::atomic<uint64_t>> queue_full_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace rollguard::collector
