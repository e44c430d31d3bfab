#include "cli/client.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"

namespace rollguard::cli {

AdminClient::AdminClient(std::string address, absl::Duration timeout,
                         std::shared_ptr<grpc::ChannelCredentials> credentials, std::string token)
    : address_(std::move(address)),
      timeout_(timeout),
      token_(std::move(token)),
      tls_(credentials != nullptr) {
  stub_ = rollguard::v1::AdminService::NewStub(grpc::CreateChannel(
      address_, credentials ? credentials : grpc::InsecureChannelCredentials()));
}

absl::Status AdminClient::Convert(const grpc::Status& s) const {
  if (s.ok()) return absl::OkStatus();
  const std::string& m = s.error_message();
  bool tls_failure = m.find("ssl") != std::string::npos || m.find("SSL") != std::string::npos ||
                     m.find("handshake") != std::string::npos ||
                     m.find("certificate") != std::string::npos;
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE && tls_failure) {
    return absl::UnavailableError(absl::StrCat(
        "TLS with the collector at ", address_, " failed (", m,
        "); check --tls-ca (the CA that signed the collector) and --tls-cert/--tls-key, or "
        "ROLLGUARD_TLS_CA/_CERT/_KEY"));
  }
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE ||
      s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach the collector at ", address_, " (", s.error_message(),
                     "); is it running? set --collector or ROLLGUARD_COLLECTOR",
                     tls_ ? "" : "; if it serves TLS, set --tls-ca (or ROLLGUARD_TLS_CA)"));
  }
  return FromGrpcStatus(s);
}

}  // namespace rollguard::cli
