// The CLI's connection to the collector's AdminService. Every call has a
// deadline; failures become one-line errors a person can act on.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "rollguard/v1/admin_service.grpc.pb.h"

namespace rollguard::cli {

class AdminClient {
 public:
  using Stub = rollguard::v1::AdminService::Stub;

  // `credentials`: plaintext or TLS (common/tls/grpc_tls.h). `token`: sent
  // as "authorization: Bearer" on every call when not empty.
  AdminClient(std::string address, absl::Duration timeout,
              std::shared_ptr<grpc::ChannelCredentials> credentials, std::string token);

  // Any unary AdminService call: client.Call(&Stub::ListHosts, request).
  template <typename Req, typename Resp>
  absl::StatusOr<Resp> Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                            const Req& req) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
    if (!token_.empty()) ctx.AddMetadata("authorization", "Bearer " + token_);
    Resp resp;
    absl::Status s = Convert((stub_.get()->*method)(&ctx, req, &resp));
    if (!s.ok()) return s;
    return resp;
  }

  [[nodiscard]] absl::StatusOr<rollguard::v1::ListHostsResponse> ListHosts() {
    return Call(&Stub::ListHosts, rollguard::v1::ListHostsRequest());
  }
  [[nodiscard]] absl::StatusOr<rollguard::v1::QueryHistoryResponse> QueryHistory(
      const rollguard::v1::QueryHistoryRequest& req) {
    return Call(&Stub::QueryHistory, req);
  }

 private:
  absl::Status Convert(const grpc::Status& s) const;

  std::string address_;
  absl::Duration timeout_;
  std::string token_;
  bool tls_;
  std::unique_ptr<Stub> stub_;
};

}  // namespace rollguard::cli
