// The AdminService the CLI talks to. Queries are small and read from memory or
// RocksDB directly, so they run inline in the unary reaction.
#pragma once

#include "collector/registry/host_registry.h"
#include "collector/storage/storage.h"
#include "common/clock.h"
#include "rollguard/v1/admin_service.grpc.pb.h"

namespace rollguard::collector {

class AdminServiceImpl final : public rollguard::v1::AdminService::CallbackService {
 public:
  AdminServiceImpl(Storage* storage, HostRegistry* registry, const Clock* clock);

  grpc::ServerUnaryReactor* ListHosts(grpc::CallbackServerContext* ctx,
                                      const rollguard::v1::ListHostsRequest* req,
                                      rollguard::v1::ListHostsResponse* resp) override;
  grpc::ServerUnaryReactor* QueryHistory(grpc::CallbackServerContext* ctx,
                                         const rollguard::v1::QueryHistoryRequest* req,
                                         rollguard::v1::QueryHistoryResponse* resp) override;

  // The logic, without gRPC, for tests.
  absl::Status DoListHosts(rollguard::v1::ListHostsResponse* resp) const;
  absl::Status DoQueryHistory(const rollguard::v1::QueryHistoryRequest& req,
                              rollguard::v1::QueryHistoryResponse* resp) const;

 private:
  Storage* storage_;
  HostRegistry* registry_;
  const Clock* clock_;
};

}  // namespace rollguard::collector
