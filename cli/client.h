// The CLI's connection to the collector's AdminService. Every call has a
// deadline; failures become one-line errors a person can act on.
//
// `address` may list several collectors ("a:7700,b:7700", an HA pair): a
// call goes to the one that answered last and moves on to the next when a
// collector cannot be reached or says it is not the leader (a write on a
// follower), so reads come from whichever answers and writes reach the
// leader.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

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
    absl::Status last;
    for (size_t i = 0; i < members_.size(); ++i) {
      Member& m = members_[(preferred_ + i) % members_.size()];
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
      if (!token_.empty()) ctx.AddMetadata("authorization", "Bearer " + token_);
      Resp resp;
      grpc::Status g = (m.stub.get()->*method)(&ctx, req, &resp);
      if (g.ok()) {
        preferred_ = (preferred_ + i) % members_.size();
        return resp;
      }
      last = Convert(g, m.address);
      if (!TryNext(g)) return last;
    }
    return last;
  }

  [[nodiscard]] absl::StatusOr<rollguard::v1::ListHostsResponse> ListHosts() {
    return Call(&Stub::ListHosts, rollguard::v1::ListHostsRequest());
  }
  [[nodiscard]] absl::StatusOr<rollguard::v1::QueryHistoryResponse> QueryHistory(
      const rollguard::v1::QueryHistoryRequest& req) {
    return Call(&Stub::QueryHistory, req);
  }

 private:
  struct Member {
    std::string address;
    std::unique_ptr<Stub> stub;
  };
  absl::Status Convert(const grpc::Status& s, const std::string& address) const;
  // Worth asking the next collector: this one was not reached (nothing was
  // done), or it is a follower refusing a write.
  bool TryNext(const grpc::Status& s) const;

  absl::Duration timeout_;
  std::string token_;
  bool tls_;
  std::vector<Member> members_;
  size_t preferred_ = 0;
};

}  // namespace rollguard::cli
