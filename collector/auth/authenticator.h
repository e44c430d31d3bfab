// Who is calling: the principal behind a gRPC call, from the client's
// certificate (already verified against the client CA by the TLS handshake)
// or its bearer token. Without TLS the listener is loopback-only (enforced at
// start-up) and every caller is the unauthenticated "local" principal with
// full rights, like a database's local socket.
#pragma once

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "collector/auth/token_store.h"
#include "common/tls/identity.h"

namespace rollguard::collector {

// Thread-safe (reads only; the token store is thread-safe).
class Authenticator {
 public:
  // tls=false: plaintext loopback mode. `tokens` may be null (no tokens).
  Authenticator(bool tls, const TokenStore* tokens) : tls_(tls), tokens_(tokens) {}

  // UNAUTHENTICATED when TLS is on and the call has neither a certificate
  // naming a rollguard identity nor a known token.
  [[nodiscard]] absl::StatusOr<Principal> Identify(const grpc::ServerContextBase& ctx) const;

  bool tls() const { return tls_; }

 private:
  const bool tls_;
  const TokenStore* const tokens_;
};

}  // namespace rollguard::collector
