#include "cli/client.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"

namespace rollguard::cli {

AdminClient::AdminClient(std::string address, absl::Duration timeout)
    : address_(std::move(address)), timeout_(timeout) {
  stub_ = rollguard::v1::AdminService::NewStub(
      grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
}

void AdminClient::Prepare(grpc::ClientContext* ctx) const {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
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

absl::StatusOr<rollguard::v1::ListHostsResponse> AdminClient::ListHosts() {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  rollguard::v1::ListHostsResponse resp;
  absl::Status s = Convert(stub_->ListHosts(&ctx, rollguard::v1::ListHostsRequest(), &resp));
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<rollguard::v1::QueryHistoryResponse> AdminClient::QueryHistory(
    const rollguard::v1::QueryHistoryRequest& req) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  rollguard::v1::QueryHistoryResponse resp;
  absl::Status s = Convert(stub_->QueryHistory(&ctx, req, &resp));
  if (!s.ok()) return s;
  return resp;
}

}  // namespace rollguard::cli
