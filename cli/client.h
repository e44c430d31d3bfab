// The CLI's connection to the collector's AdminService. Every call has a
// deadline; failures become one-line errors a person can act on.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "rollguard/v1/admin_service.grpc.pb.h"

namespace rollguard::cli {

class AdminClient {
 public:
  AdminClient(std::string address, absl::Duration timeout);

  [[nodiscard]] absl::StatusOr<rollguard::v1::ListHostsResponse> ListHosts();
  [[nodiscard]] absl::StatusOr<rollguard::v1::QueryHistoryResponse> QueryHistory(
      const rollguard::v1::QueryHistoryRequest& req);

 private:
  void Prepare(grpc::ClientContext* ctx) const;
  absl::Status Convert(const grpc::Status& s) const;

  std::string address_;
  absl::Duration timeout_;
  std::unique_ptr<rollguard::v1::AdminService::Stub> stub_;
};

}  // namespace rollguard::cli
