#include "cli/client.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"

namespace rollguard::cli {

AdminClient::AdminClient(std::string address, absl::Duration timeout)
    : address_(std::move(address)), timeout_(timeout) {
  stub_ = rollguard::v1::AdminService::NewStub(
      grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
}

absl::Status AdminClient::Convert(const grpc::Status& s) const {
  if (s.ok()) return absl::OkStatus();
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE ||
      s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::UnavailableError(absl::StrCat("cannot reach the collector at ", address_, " (",
                                               s.error_message(),
                                               "); is it running? set --collector or "
                                               "ROLLGUARD_COLLECTOR"));
  }
  return FromGrpcStatus(s);
}

}  // namespace rollguard::cli
