// The collector's HTTP side (--http-listen, default 127.0.0.1:7780): GET
// /metrics for Prometheus. Plaintext only on loopback (or with --insecure);
// with the collector's TLS configured it serves HTTPS with the same
// certificate and wants a bearer token of any role (`rollguard pki token`),
// as Prometheus sends with `authorization: {credentials_file: ...}`.
// The server itself (bounded handler queue, no port sharing) is
// common/metrics_http_server.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "common/metrics_http_server.h"
#include "common/tls/grpc_tls.h"

namespace rollguard::collector {

class TokenStore;

struct HttpListenerOptions {
  std::string listen;                  // HOST:PORT (PORT 0: any free one)
  TlsFiles tls;                        // cert and key: HTTPS
  const TokenStore* tokens = nullptr;  // with TLS: a token is required
  std::function<std::string()> metrics;
  // The web console's routes (collector/console), when it is on.
  std::function<void(httplib::Server*)> console;
};

class HttpListener {
 public:
  explicit HttpListener(HttpListenerOptions options);

  // Binds and starts serving; an error names the address.
  [[nodiscard]] absl::Status Start() { return server_.Start(); }
  void Stop() { server_.Stop(); }  // idempotent
  int port() const { return server_.port(); }
  // Times accepting waited for a free handler (the bound was hit).
  uint64_t queue_full() const { return server_.queue_full(); }

 private:
  static MetricsHttpOptions ServerOptions(const HttpListenerOptions& o);

  MetricsHttpServer server_;
};

}  // namespace rollguard::collector
