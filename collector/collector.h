// The collector process: storage, host registry, the gRPC server with the
// agent and admin services, and background maintenance (retention, flushing
// host records). Start returns once serving; Stop stops intake, drains
// in-flight writes, then closes storage.
#pragma once

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <memory>
#include <thread>

#include "absl/status/status.h"
#include "collector/alerting/alerting.h"
#include "collector/api/admin_service.h"
#include "collector/api/http_listener.h"
#include "collector/api/metrics_page.h"
#include "collector/auth/authenticator.h"
#include "collector/auth/token_store.h"
#include "collector/automation/remediator.h"
#include "collector/collector_config.h"
#include "collector/commands/audit_log.h"
#include "collector/commands/command_manager.h"
#include "collector/commands/rollout_manager.h"
#include "collector/console/console.h"
#include "collector/console/session_store.h"
#include "collector/ha/leader_election.h"
#include "collector/ha/replicated_records.h"
#include "collector/ingest/agent_service.h"
#include "collector/ingest/work_pool.h"
#include "collector/registry/host_registry.h"
#include "collector/remote_write/remote_writers.h"
#include "collector/storage/storage.h"
#include "common/clock.h"
#include "common/mutex.h"

namespace rollguard::collector {

class Collector {
 public:
  explicit Collector(CollectorConfig config, const Clock* clock = &Clock::Real());
  ~Collector();

  [[nodiscard]] absl::Status Start();
  // Blocks until Stop is called from another thread.
  void Wait();
  // Idempotent; safe without Start.
  void Stop();

  int port() const { return port_; }
  // SIGHUP and the ReloadRules call.
  [[nodiscard]] absl::StatusOr<size_t> ReloadRules();
  // SIGHUP: re-reads the tokens file; on error the old tokens stay.
  [[nodiscard]] absl::StatusOr<size_t> ReloadTokens();
  // SIGHUP: the receivers and routes of a re-read config file (validated by
  // the caller; everything else in it needs a restart).
  void ReloadNotify(NotifyConfig config);
  const IngestStats& stats() const { return stats_; }

 private:
  // Start's parts: storage and the state machines on it; the listener's
  // credentials (TLS and tokens, when configured); the gRPC server.
  absl::Status OpenState();
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials();
  absl::Status Serve(std::shared_ptr<grpc::ServerCredentials> creds);
  absl::Status ServeHttp();
  void MaintenanceLoop();
  // HA: joins the election once the listener's port is known.
  void StartElection();
  // HA: won the leadership key at `epoch`, not acting yet: pull the control
  // records from etcd and reload every part that holds them.
  absl::Status CatchUp(int64_t epoch);
  const Leadership* leadership() const {
    return election_ ? static_cast<const Leadership*>(election_.get()) : SoleLeader::Get();
  }
  // Deletes records older than records_retention that have ended.
  void PruneOldRecords();
  void SendEscalation(const rollguard::v1::Incident& inc, const EscalationLevel& level,
                      const std::string& text);

  // Ingest's hellos and stored samples go to alerting; neither knows the other.
  class AlertingIngest final : public IngestListener {
   public:
    explicit AlertingIngest(Collector* c) : c_(c) {}
    void OnHostHello(const std::string& host, const Labels& labels) override {
      c_->alerting_->OnHostHello(host, labels);
    }
    void OnStored(absl::Span<const StoredSample> samples) override {
      c_->alerting_->Observe(samples);
    }

   private:
    Collector* const c_;
  };

  CollectorConfig config_;
  const Clock* clock_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<LeaderElection> election_;       // null: no HA
  std::unique_ptr<ReplicatedRecords> replicated_;  // with HA: storage_->records()
  // Held by the maintenance ticks and by CatchUp: no tick runs on state
  // being replaced.
  Mutex control_mu_;
  std::unique_ptr<HostRegistry> registry_;
  std::unique_ptr<Alerting> alerting_;
  AlertingIngest alerting_ingest_{this};
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<CommandManager> commands_;
  std::unique_ptr<RolloutManager> rollouts_;
  std::unique_ptr<Remediator> remediator_;
  std::unique_ptr<WorkPool> pool_;
  std::unique_ptr<TokenStore> tokens_;
  std::unique_ptr<Authenticator> auth_;
  IngestStats stats_;
  std::unique_ptr<AgentServiceImpl> agent_service_;
  std::unique_ptr<AdminServiceImpl> admin_service_;
  std::unique_ptr<grpc::Server> server_;
  CommandOutcomes command_outcomes_;
  RemoteWriters remote_write_;
  // Makes the console (when on and safe here) and returns its routes; null
  // when it is off.
  std::function<void(httplib::Server*)> ConsoleRoutes();
  std::unique_ptr<SessionStore> console_sessions_;  // null: no console
  std::unique_ptr<Console> console_;
  std::unique_ptr<HttpListener> http_;  // null: no /metrics
  int port_ = 0;

  Mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread maintenance_;
};

}  // namespace rollguard::collector
