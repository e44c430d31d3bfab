// The AdminService the CLI talks to. Queries are small and read from memory or
// RocksDB directly, so they run inline in the unary reaction.
#pragma once

#include "collector/alerting/alerting.h"
#include "collector/registry/host_registry.h"
#include "collector/storage/storage.h"
#include "common/clock.h"
#include "rollguard/v1/admin_service.grpc.pb.h"

namespace rollguard::collector {

class AdminServiceImpl final : public rollguard::v1::AdminService::CallbackService {
 public:
  AdminServiceImpl(Storage* storage, HostRegistry* registry, Alerting* alerting,
                   const Clock* clock);

  grpc::ServerUnaryReactor* ListHosts(grpc::CallbackServerContext* ctx,
                                      const rollguard::v1::ListHostsRequest* req,
                                      rollguard::v1::ListHostsResponse* resp) override;
  grpc::ServerUnaryReactor* QueryHistory(grpc::CallbackServerContext* ctx,
                                         const rollguard::v1::QueryHistoryRequest* req,
                                         rollguard::v1::QueryHistoryResponse* resp) override;

  grpc::ServerUnaryReactor* ListAlerts(grpc::CallbackServerContext* ctx,
                                       const rollguard::v1::ListAlertsRequest* req,
                                       rollguard::v1::ListAlertsResponse* resp) override;
  grpc::ServerUnaryReactor* AddSilence(grpc::CallbackServerContext* ctx,
                                       const rollguard::v1::AddSilenceRequest* req,
                                       rollguard::v1::Silence* resp) override;
  grpc::ServerUnaryReactor* ListSilences(grpc::CallbackServerContext* ctx,
                                         const rollguard::v1::ListSilencesRequest* req,
                                         rollguard::v1::ListSilencesResponse* resp) override;
  grpc::ServerUnaryReactor* RemoveSilence(grpc::CallbackServerContext* ctx,
                                          const rollguard::v1::RemoveSilenceRequest* req,
                                          rollguard::v1::RemoveSilenceResponse* resp) override;
  grpc::ServerUnaryReactor* ReloadRules(grpc::CallbackServerContext* ctx,
                                        const rollguard::v1::ReloadRulesRequest* req,
                                        rollguard::v1::ReloadRulesResponse* resp) override;

  // The logic, without gRPC, for tests.
  absl::Status DoListHosts(rollguard::v1::ListHostsResponse* resp) const;
  absl::Status DoQueryHistory(const rollguard::v1::QueryHistoryRequest& req,
                              rollguard::v1::QueryHistoryResponse* resp) const;

 private:
  Storage* storage_;
  HostRegistry* registry_;
  Alerting* alerting_;
  const Clock* clock_;
};

}  // namespace rollguard::collector
