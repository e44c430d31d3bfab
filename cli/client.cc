#include "cli/client.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/address.h"
#include "common/grpc_status.h"

namespace rollguard::cli {

AdminClient::AdminClient(std::string address, absl::Duration timeout,
                         std::shared_ptr<grpc::ChannelCredentials> credentials, std::string token)
    : timeout_(timeout), token_(std::move(token)), tls_(credentials != nullptr) {
  // Checked by the CLI's parser; an unparsable list is tried as it is (and
  // fails naming it).
  absl::StatusOr<std::vector<std::string>> list = SplitAddressList("--collector", address);
  std::vector<std::string> addresses = list.ok() ? *list : std::vector<std::string>{address};
  for (std::string& a : addresses) {
    Member m;
    m.stub = rollguard::v1::AdminService::NewStub(
        grpc::CreateChannel(a, credentials ? credentials : grpc::InsecureChannelCredentials()));
    m.address = std::move(a);
    members_.push_back(std::move(m));
  }
}

bool AdminClient::TryNext(const grpc::Status& s) const {
  if (members_.size() < 2) return false;
  // Only a collector never reached: a call cut off after it arrived (the
  // collector killed mid-call) may have been done, and a write repeated on
  // the other member would be done twice. Not DEADLINE_EXCEEDED either.
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE &&
      absl::StrContains(s.error_message(), "failed to connect to all addresses")) {
    return true;
  }
  return s.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
         absl::StartsWith(s.error_message(), kNotLeaderPrefix);
}

absl::Status AdminClient::Convert(const grpc::Status& s, const std::string& address) const {
  if (s.ok()) return absl::OkStatus();
  const std::string& m = s.error_message();
  bool tls_failure = m.find("ssl") != std::string::npos || m.find("SSL") != std::string::npos ||
                     m.find("handshake") != std::string::npos ||
                     m.find("certificate") != std::string::npos;
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE && tls_failure) {
    return absl::UnavailableError(absl::StrCat(
        "TLS with the collector at ", address, " failed (", m,
        "); check --tls-ca (the CA that signed the collector) and --tls-cert/--tls-key, or "
        "ROLLGUARD_TLS_CA/_CERT/_KEY"));
  }
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE ||
      s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach the collector at ", address, " (", s.error_message(),
                     "); is it running? set --collector or ROLLGUARD_COLLECTOR",
                     tls_ ? "" : "; if it serves TLS, set --tls-ca (or ROLLGUARD_TLS_CA)"));
  }
  return FromGrpcStatus(s);
}

}  // namespace rollguard::cli
