#include "collector/api/http_listener.h"

#include "absl/strings/match.h"
#include "collector/auth/token_store.h"

namespace rollguard::collector {

MetricsHttpOptions HttpListener::ServerOptions(const HttpListenerOptions& o) {
  MetricsHttpOptions s;
  s.listen = o.listen;
  s.flag_name = "http_listen";
  s.metrics = o.metrics;
  s.routes = o.console;
  s.routes_name = "console";
  if (o.tls.enabled()) {
    s.cert_file = o.tls.cert;
    s.key_file = o.tls.key;
    // With TLS a bearer token of any role; loopback plaintext serves all, as
    // the gRPC side does.
    const TokenStore* tokens = o.tokens;
    s.authorize = [tokens](const std::string& authorization) {
      if (tokens == nullptr || !absl::StartsWith(authorization, "Bearer ")) return false;
      auto who = tokens->Lookup(authorization.substr(7));
      return who.has_value() && who->role >= Role::kViewer;
    };
    s.unauthorized_hint = "a viewer token is required (rollguard pki token NAME --role viewer)";
  }
  return s;
}

HttpListener::HttpListener(HttpListenerOptions options) : server_(ServerOptions(options)) {}

}  // namespace rollguard::collector
