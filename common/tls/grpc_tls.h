// gRPC credentials from TLS files, shared by the collector, the agent, the CLI
// and the test tools. The files are checked when credentials are made (a bad
// file is an error naming it, not a failed handshake later), then watched:
// gRPC re-reads them every `reload_interval`, so a rotated certificate is used
// for the next handshake while connections already made carry on.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace rollguard {

struct TlsFiles {
  // Server: the CA whose certificates clients must present. Client: the CA
  // that signed the server's certificate.
  std::string ca;
  std::string cert;
  std::string key;
  absl::Duration reload_interval = absl::Seconds(10);

  bool enabled() const { return !ca.empty() || !cert.empty() || !key.empty(); }
};

// Checks the files (readable, PEM, the key matches the certificate, the
// certificate not expired) and returns a line for the log: identity, serial
// and expiry. `flag_prefix` names the options in errors ("--tls-").
[[nodiscard]] absl::StatusOr<std::string> CheckTlsFiles(const TlsFiles& files, bool need_identity,
                                                        const std::string& flag_prefix);

// mTLS: a certificate is requested and, when given, verified against
// files.ca; whether a call needs one is the services' decision. Needs all
// three files.
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files);

// Plaintext when !files.enabled(). Otherwise verifies the server's
// certificate against files.ca and its name against the address dialled;
// presents cert/key when given (both or neither).
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsFiles& files);

}  // namespace rollguard
