// The AdminService the CLI talks to. Queries are small and read from memory or
// RocksDB directly, so they run inline in the unary reaction; a replay, the
// one long call, runs on its own thread (BackgroundSlot).
//
// Every call is admitted first: the caller identified (certificate or token)
// and checked against collector/auth/method_roles.h; a refused call is logged
// and, when the caller is authenticated, audited. Who asked for a rollback,
// undo, approval, ack or silence is the authenticated principal, never what
// the client says of itself (that is kept only as "local (says ...)" on a
// plaintext loopback listener, where nobody is authenticated).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "collector/alerting/alerting.h"
#include "collector/api/background_slot.h"
#include "collector/auth/authenticator.h"
#include "collector/automation/remediator.h"
#include "collector/commands/audit_log.h"
#include "collector/commands/command_manager.h"
#include "collector/commands/rollout_manager.h"
#include "collector/ha/leader_election.h"
#include "collector/ha/leadership.h"
#include "collector/registry/host_registry.h"
#include "collector/remote_write/remote_writers.h"
#include "collector/storage/storage.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "rollguard/v1/admin_service.grpc.pb.h"

namespace rollguard::collector {

class AdminServiceImpl final : public rollguard::v1::AdminService::CallbackService {
 public:
  struct Deps {
    Storage* storage = nullptr;
    HostRegistry* registry = nullptr;
    Alerting* alerting = nullptr;
    CommandManager* commands = nullptr;
    RolloutManager* rollouts = nullptr;
    AuditLog* audit = nullptr;
    Remediator* remediator = nullptr;
    const Clock* clock = &Clock::Real();
    // Null: plaintext loopback mode (every caller is "local", with all rights).
    const Authenticator* auth = nullptr;
    // How far back history goes (a replay starts no earlier).
    absl::Duration retention = absl::Hours(24 * 30);
    // Null: no remote write.
    const RemoteWriters* remote_write = nullptr;
    // Who may act: writes (role above viewer, but for rules reload) are
    // refused on a member that is not acting as leader.
    const Leadership* leadership = SoleLeader::Get();
    // Null: HA is off (GetHaStatus says so).
    const LeaderElection* election = nullptr;
  };
  explicit AdminServiceImpl(Deps deps);

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
  grpc::ServerUnaryReactor* RemoveHost(grpc::CallbackServerContext* ctx,
                                       const rollguard::v1::RemoveHostRequest* req,
                                       rollguard::v1::RemoveHostResponse* resp) override;
  grpc::ServerUnaryReactor* RemoveSilence(grpc::CallbackServerContext* ctx,
                                          const rollguard::v1::RemoveSilenceRequest* req,
                                          rollguard::v1::RemoveSilenceResponse* resp) override;
  grpc::ServerUnaryReactor* ReloadRules(grpc::CallbackServerContext* ctx,
                                        const rollguard::v1::ReloadRulesRequest* req,
                                        rollguard::v1::ReloadRulesResponse* resp) override;

  grpc::ServerUnaryReactor* StartRollout(grpc::CallbackServerContext* ctx,
                                         const rollguard::v1::StartRolloutRequest* req,
                                         rollguard::v1::Rollout* resp) override;
  grpc::ServerUnaryReactor* GetRollout(grpc::CallbackServerContext* ctx,
                                       const rollguard::v1::GetRolloutRequest* req,
                                       rollguard::v1::RolloutStatus* resp) override;
  grpc::ServerUnaryReactor* GetCommand(grpc::CallbackServerContext* ctx,
                                       const rollguard::v1::GetCommandRequest* req,
                                       rollguard::v1::CommandRecord* resp) override;
  grpc::ServerUnaryReactor* ListCommands(grpc::CallbackServerContext* ctx,
                                         const rollguard::v1::ListCommandsRequest* req,
                                         rollguard::v1::ListCommandsResponse* resp) override;
  grpc::ServerUnaryReactor* UndoCommand(grpc::CallbackServerContext* ctx,
                                        const rollguard::v1::UndoCommandRequest* req,
                                        rollguard::v1::CommandRecord* resp) override;
  grpc::ServerUnaryReactor* ListAudit(grpc::CallbackServerContext* ctx,
                                      const rollguard::v1::ListAuditRequest* req,
                                      rollguard::v1::ListAuditResponse* resp) override;

  grpc::ServerUnaryReactor* ListIncidents(grpc::CallbackServerContext* ctx,
                                          const rollguard::v1::ListIncidentsRequest* req,
                                          rollguard::v1::ListIncidentsResponse* resp) override;
  grpc::ServerUnaryReactor* GetIncident(grpc::CallbackServerContext* ctx,
                                        const rollguard::v1::GetIncidentRequest* req,
                                        rollguard::v1::Incident* resp) override;
  grpc::ServerUnaryReactor* ApproveIncident(grpc::CallbackServerContext* ctx,
                                            const rollguard::v1::IncidentActionRequest* req,
                                            rollguard::v1::Incident* resp) override;
  grpc::ServerUnaryReactor* AckIncident(grpc::CallbackServerContext* ctx,
                                        const rollguard::v1::IncidentActionRequest* req,
                                        rollguard::v1::Incident* resp) override;

  grpc::ServerUnaryReactor* Replay(grpc::CallbackServerContext* ctx,
                                   const rollguard::v1::ReplayRequest* req,
                                   rollguard::v1::ReplayResponse* resp) override;

  grpc::ServerUnaryReactor* GetStorageStats(grpc::CallbackServerContext* ctx,
                                            const rollguard::v1::GetStorageStatsRequest* req,
                                            rollguard::v1::StorageStats* resp) override;

  grpc::ServerUnaryReactor* ListSeries(grpc::CallbackServerContext* ctx,
                                       const rollguard::v1::ListSeriesRequest* req,
                                       rollguard::v1::ListSeriesResponse* resp) override;

  grpc::ServerUnaryReactor* GetHaStatus(grpc::CallbackServerContext* ctx,
                                        const rollguard::v1::GetHaStatusRequest* req,
                                        rollguard::v1::HaStatus* resp) override;
  grpc::ServerUnaryReactor* GetVersion(grpc::CallbackServerContext* ctx,
                                       const rollguard::v1::GetVersionRequest* req,
                                       rollguard::v1::VersionInfo* resp) override;

  // The console's way in (collector/console): runs AdminService `method` for
  // `who`, identified by the caller (a console session), with the same role
  // check, and the same log line and audit record on a refusal, as a gRPC
  // call. `req` and `resp` come from NewRequest/NewResponse. Replay, the one
  // long call, is not offered (NOT_FOUND, as for an unknown method).
  [[nodiscard]] absl::Status Invoke(const Principal& who, absl::string_view method,
                                    const std::string& peer, const google::protobuf::Message& req,
                                    google::protobuf::Message* resp) const;
  // Empty messages of `method`'s types; null when Invoke does not offer it.
  std::unique_ptr<google::protobuf::Message> NewRequest(absl::string_view method) const;
  std::unique_ptr<google::protobuf::Message> NewResponse(absl::string_view method) const;

  // The logic, without gRPC, for tests.
  absl::Status DoListHosts(rollguard::v1::ListHostsResponse* resp) const;
  absl::Status DoQueryHistory(const rollguard::v1::QueryHistoryRequest& req,
                              rollguard::v1::QueryHistoryResponse* resp) const;
  absl::StatusOr<rollguard::v1::CommandRecord> DoUndo(
      const rollguard::v1::UndoCommandRequest& req) const;
  rollguard::v1::StorageStats DoGetStorageStats() const;

 private:
  // One per unary method: what the gRPC method and Invoke both run, once the
  // caller is admitted.
  template <typename Req, typename Resp>
  using HandlerFn = absl::Status (AdminServiceImpl::*)(const Principal&, const Req&, Resp*) const;
  struct Handler {
    const google::protobuf::Message* request;  // prototypes
    const google::protobuf::Message* response;
    std::function<absl::Status(const Principal&, const google::protobuf::Message&,
                               google::protobuf::Message*)>
        run;
  };
  template <typename Req, typename Resp>
  void Register(absl::string_view method, HandlerFn<Req, Resp> fn);
  absl::Status Dispatch(const Principal& who, absl::string_view method,
                        const google::protobuf::Message& req,
                        google::protobuf::Message* resp) const;

  absl::Status HandleListHosts(const Principal& who, const rollguard::v1::ListHostsRequest& req,
                               rollguard::v1::ListHostsResponse* resp) const;
  absl::Status HandleQueryHistory(const Principal& who,
                                  const rollguard::v1::QueryHistoryRequest& req,
                                  rollguard::v1::QueryHistoryResponse* resp) const;
  absl::Status HandleListAlerts(const Principal& who, const rollguard::v1::ListAlertsRequest& req,
                                rollguard::v1::ListAlertsResponse* resp) const;
  absl::Status HandleAddSilence(const Principal& who, const rollguard::v1::AddSilenceRequest& req,
                                rollguard::v1::Silence* resp) const;
  absl::Status HandleListSilences(const Principal& who,
                                  const rollguard::v1::ListSilencesRequest& req,
                                  rollguard::v1::ListSilencesResponse* resp) const;
  absl::Status HandleRemoveHost(const Principal& who, const rollguard::v1::RemoveHostRequest& req,
                                rollguard::v1::RemoveHostResponse* resp) const;
  absl::Status HandleRemoveSilence(const Principal& who,
                                   const rollguard::v1::RemoveSilenceRequest& req,
                                   rollguard::v1::RemoveSilenceResponse* resp) const;
  absl::Status HandleReloadRules(const Principal& who, const rollguard::v1::ReloadRulesRequest& req,
                                 rollguard::v1::ReloadRulesResponse* resp) const;
  absl::Status HandleStartRollout(const Principal& who,
                                  const rollguard::v1::StartRolloutRequest& req,
                                  rollguard::v1::Rollout* resp) const;
  absl::Status HandleGetRollout(const Principal& who, const rollguard::v1::GetRolloutRequest& req,
                                rollguard::v1::RolloutStatus* resp) const;
  absl::Status HandleGetCommand(const Principal& who, const rollguard::v1::GetCommandRequest& req,
                                rollguard::v1::CommandRecord* resp) const;
  absl::Status HandleListCommands(const Principal& who,
                                  const rollguard::v1::ListCommandsRequest& req,
                                  rollguard::v1::ListCommandsResponse* resp) const;
  absl::Status HandleUndoCommand(const Principal& who, const rollguard::v1::UndoCommandRequest& req,
                                 rollguard::v1::CommandRecord* resp) const;
  absl::Status HandleListAudit(const Principal& who, const rollguard::v1::ListAuditRequest& req,
                               rollguard::v1::ListAuditResponse* resp) const;
  absl::Status HandleListIncidents(const Principal& who,
                                   const rollguard::v1::ListIncidentsRequest& req,
                                   rollguard::v1::ListIncidentsResponse* resp) const;
  absl::Status HandleGetIncident(const Principal& who, const rollguard::v1::GetIncidentRequest& req,
                                 rollguard::v1::Incident* resp) const;
  absl::Status HandleApproveIncident(const Principal& who,
                                     const rollguard::v1::IncidentActionRequest& req,
                                     rollguard::v1::Incident* resp) const;
  absl::Status HandleAckIncident(const Principal& who,
                                 const rollguard::v1::IncidentActionRequest& req,
                                 rollguard::v1::Incident* resp) const;
  absl::Status HandleGetStorageStats(const Principal& who,
                                     const rollguard::v1::GetStorageStatsRequest& req,
                                     rollguard::v1::StorageStats* resp) const;
  absl::Status HandleGetHaStatus(const Principal& who, const rollguard::v1::GetHaStatusRequest& req,
                                 rollguard::v1::HaStatus* resp) const;
  absl::Status HandleGetVersion(const Principal& who, const rollguard::v1::GetVersionRequest& req,
                                rollguard::v1::VersionInfo* resp) const;
  absl::Status HandleListSeries(const Principal& who, const rollguard::v1::ListSeriesRequest& req,
                                rollguard::v1::ListSeriesResponse* resp) const;

  // The caller, if it may call `method`; the refusal otherwise.
  absl::StatusOr<Principal> Admit(grpc::CallbackServerContext* ctx, absl::string_view method) const;
  // OK when `who` may call `method`; a refusal is logged and audited.
  absl::Status Authorize(const Principal& who, absl::string_view method,
                         const std::string& peer) const;
  // One audit record, when there is an audit log.
  void Audit(const Principal& who, std::string action, std::string host_id, std::string reason,
             std::string outcome) const;
  // Admits the call, runs its handler and finishes with its status.
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* ctx, absl::string_view method,
                                  const google::protobuf::Message& req,
                                  google::protobuf::Message* resp);

  Storage* storage_;
  HostRegistry* registry_;
  Alerting* alerting_;
  CommandManager* commands_;
  RolloutManager* rollouts_;
  AuditLog* audit_;
  Remediator* remediator_;
  const Clock* clock_;
  absl::Duration retention_;
  const RemoteWriters* remote_write_;
  const Leadership* leadership_;
  const LeaderElection* election_;
  const Authenticator* auth_;
  const int64_t started_ms_;  // for `rollguard version`
  // Replays run here, off the gRPC threads. A running replay's call is
  // cancelled by the server's shutdown, and Shutdown() returns only once the
  // call has finished, so what it reads outlives it; the slot's destructor
  // joins the finished thread.
  BackgroundSlot replays_;
  absl::flat_hash_map<std::string, Handler> handlers_;  // set in the constructor only
  // "<principal> <method>" -> when its last refusal was audited (bounded).
  mutable Mutex denied_mu_;
  mutable absl::flat_hash_map<std::string, int64_t> last_denied_ms_ ABSL_GUARDED_BY(denied_mu_);
};

// HA: methods that read control records (current on the leader only).
bool IsControlRead(absl::string_view method);

// The audit log's "who": the principal, or for an unauthenticated local
// caller "local (says <claimed>)".
std::string ActorName(const Principal& who, const std::string& claimed);

}  // namespace rollguard::collector
