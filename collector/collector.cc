#include "collector/collector.h"

#include <grpcpp/resource_quota.h>
#include <spdlog/spdlog.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "collector/records_retention.h"
#include "collector/storage/rocksdb_storage.h"
#include "common/mutex.h"
#include "common/record_states.h"
#include "common/status_macros.h"
#include "common/tls/tls_config.h"

namespace rollguard::collector {

Collector::Collector(CollectorConfig config, const Clock* clock)
    : config_(std::move(config)), clock_(clock) {}

Collector::~Collector() { Stop(); }

absl::Status Collector::Start() {
  RETURN_IF_ERROR(OpenState());
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> creds, ServerCredentials());
  RETURN_IF_ERROR(Serve(std::move(creds)));
  RETURN_IF_ERROR(ServeHttp());
  // The port file says "serving": written once the HTTP side listens too
  // (a test or script that reads it then reaches both).
  if (!config_.port_file.empty()) {
    std::string tmp = config_.port_file + ".tmp";
    std::ofstream(tmp) << port_ << "\n";
    std::rename(tmp.c_str(), config_.port_file.c_str());
  }
  StartElection();
  maintenance_ = std::thread([this] { MaintenanceLoop(); });
  spdlog::info("collector {} listening on port {} (data {}, retention {}h, sync_writes {})",
               ROLLGUARD_VERSION, port_, config_.data_dir, absl::ToInt64Hours(config_.retention),
               config_.sync_writes);
  return absl::OkStatus();
}

absl::Status Collector::OpenState() {
  RocksDbOptions ro;
  ro.sync_writes = config_.sync_writes;
  ASSIGN_OR_RETURN(storage_, OpenRocksDbStorage(config_.data_dir, ro));
  // Made before anything that acts, so each asks it from its first step;
  // it joins the election only once the collector serves (StartElection).
  if (config_.ha.enabled()) {
    election_ = std::make_unique<LeaderElection>(config_.ha, clock_);
    replicated_ = std::make_unique<ReplicatedRecords>(&storage_->local_records(), election_.get());
    storage_->ReplaceRecords(replicated_.get());
  }
  RETURN_IF_ERROR(remote_write_.Start(config_.remote_write, storage_.get(), clock_));
  registry_ = std::make_unique<HostRegistry>(storage_.get(), clock_);
  RETURN_IF_ERROR(registry_->Load());
  alerting_ = std::make_unique<Alerting>(config_.alerting, storage_.get(), registry_.get(), clock_);
  alerting_->SetLeadership(leadership());
  audit_ = std::make_unique<AuditLog>(&storage_->records());
  commands_ = std::make_unique<CommandManager>(&storage_->records(), audit_.get(), clock_,
                                               config_.command_lost_after);
  commands_->SetLeadership(leadership());
  RETURN_IF_ERROR(commands_->Load());
  commands_->AddListener(
      [this](const rollguard::v1::CommandRecord& r) { command_outcomes_.Count(r); });
  rollouts_ =
      std::make_unique<RolloutManager>(&storage_->records(), commands_.get(), registry_.get(),
                                       audit_.get(), clock_, config_.command_queue_for);
  RETURN_IF_ERROR(rollouts_->Load());
  AutomationOptions automation = config_.automation;
  // "Present" for the circuit breaker means what it means for alerting.
  automation.host_active_within = config_.alerting.engine.stale_after;
  remediator_ = std::make_unique<Remediator>(
      automation, storage_.get(), commands_.get(), registry_.get(), audit_.get(), clock_,
      [this](const rollguard::v1::Incident& inc, const EscalationLevel& level,
             const std::string& text) { SendEscalation(inc, level, text); });
  remediator_->SetLeadership(leadership());
  RETURN_IF_ERROR(remediator_->Load());
  alerting_->SetChangeListener([this](const AlertChange& c) { remediator_->OnAlertChange(c); });
  RETURN_IF_ERROR(alerting_->Start());
  spdlog::info("automation: {} (matrix: critical -> {}, max {} at once, cool-off {})",
               AutomationModeName(config_.automation.mode),
               config_.automation.severity_playbooks.count("critical")
                   ? config_.automation.severity_playbooks.at("critical")
                   : "-",
               config_.automation.max_concurrent,
               absl::FormatDuration(config_.automation.host_cooloff));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Collector::ServerCredentials() {
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  if (config_.tls.enabled()) {
    ASSIGN_OR_RETURN(std::string described, CheckTlsFiles(config_.tls, true, "--tls-"));
    ASSIGN_OR_RETURN(creds, MakeServerCredentials(config_.tls));
    tokens_ = std::make_unique<TokenStore>(config_.tokens_file);
    ASSIGN_OR_RETURN(size_t n, tokens_->Reload());
    auth_ = std::make_unique<Authenticator>(/*tls=*/true, tokens_.get());
    spdlog::info("tls: on, clients verified against {} ({}); {} operator tokens{}", config_.tls.ca,
                 described, n,
                 config_.tokens_file.empty() ? "" : absl::StrCat(" from ", config_.tokens_file));
  } else {
    spdlog::warn("tls: off: plaintext on {}, every local caller has every right{}", config_.listen,
                 config_.insecure ? " (--insecure: NOT only local)" : "");
  }
  return creds;
}

absl::Status Collector::Serve(std::shared_ptr<grpc::ServerCredentials> creds) {
  pool_ = std::make_unique<WorkPool>(config_.ingest_threads);
  AgentServiceDeps agent_deps;
  agent_deps.storage = storage_.get();
  agent_deps.registry = registry_.get();
  agent_deps.listener = &alerting_ingest_;
  agent_deps.commands = commands_.get();
  agent_deps.pool = pool_.get();
  agent_deps.stats = &stats_;
  agent_deps.audit = audit_.get();
  agent_deps.clock = clock_;
  agent_deps.auth = auth_.get();
  agent_deps.limits = config_.ingest;
  agent_deps.limits.max_age = config_.retention;
  agent_service_ = std::make_unique<AgentServiceImpl>(agent_deps);
  AdminServiceImpl::Deps deps{
      storage_.get(), registry_.get(),   alerting_.get(), commands_.get(), rollouts_.get(),
      audit_.get(),   remediator_.get(), clock_,          auth_.get(),     config_.retention,
      &remote_write_, leadership(),      election_.get()};
  admin_service_ = std::make_unique<AdminServiceImpl>(deps);

  grpc::ServerBuilder builder;
  builder.AddListeningPort(config_.listen, creds, &port_);
  builder.RegisterService(agent_service_.get());
  builder.RegisterService(admin_service_.get());
  // Bounded whatever the clients do: one message, and gRPC's buffers for all
  // connections together (past the quota reads wait; the process does not grow).
  builder.SetMaxReceiveMessageSize(static_cast<int>(config_.ingest.max_message_bytes));
  grpc::ResourceQuota quota("rollguard-collector");
  quota.Resize(config_.ingest.grpc_memory_bytes);
  builder.SetResourceQuota(quota);
  // Agents ping every 20 s to notice a dead link; allow it.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // gRPC sets SO_REUSEPORT by default: a second collector on the same port
  // would start and split the agents and the CLI between the two.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", config_.listen, " (in use, or not a local address?)"));
  }
  return absl::OkStatus();
}

void Collector::StartElection() {
  if (!election_) return;
  election_->Start(
      [this](bool leading, int64_t epoch) {
        if (!leading) return;  // each part asks Acting() before it acts
        commands_->OnLeadershipGained();
      },
      [this] { return stats_.last_stored_ms.load(std::memory_order_relaxed); },
      // The listen address with the port it got (":0" in tests).
      absl::StrCat(config_.listen.substr(0, config_.listen.rfind(':')), ":", port_),
      [this](int64_t epoch) { return CatchUp(epoch); });
}

absl::Status Collector::CatchUp(int64_t epoch) {
  MutexLock control(&control_mu_);
  ASSIGN_OR_RETURN(ReplicatedRecords::Pulled pulled,
                   replicated_->PullFromEtcd(epoch, [this] { election_->RenewDuringPrepare(); }));
  if (pulled.seeded) {
    spdlog::info("ha: first leader of the cluster: its {} control records copied to etcd",
                 pulled.written);
  } else if (pulled.deleted > 0) {
    spdlog::warn(
        "ha: {} control records taken from etcd; {} of this member's own that the cluster does "
        "not have were removed (its state from before it last led, or from before it joined)",
        pulled.written, pulled.deleted);
  } else {
    spdlog::info("ha: {} control records taken from etcd", pulled.written);
  }
  RETURN_IF_ERROR(commands_->Reload());
  RETURN_IF_ERROR(remediator_->Reload());
  alerting_->TakeOver(pulled.leader_alerts);
  // Rollouts go on where the old leader left them; a command it recorded
  // but never stored is queued now (sent once this member acts).
  commands_->SetPromoting(true);
  absl::Status s = rollouts_->Reload();
  commands_->SetPromoting(false);
  return s;
}

void Collector::MaintenanceLoop() {
  absl::Time next_retention = clock_->Now();
  MutexLock lock(&mu_);
  while (!stopping_) {
    lock.Unlock();
    if (absl::Status s = registry_->Flush(); !s.ok()) spdlog::error("host flush: {}", s.ToString());
    {
      MutexLock control(&control_mu_);
      commands_->Tick();
      remediator_->Tick();
    }
    if (clock_->Now() >= next_retention) {
      int64_t cutoff = absl::ToUnixMillis(clock_->Now() - config_.retention);
      if (absl::Status s = storage_->DeleteBefore(cutoff); !s.ok()) {
        spdlog::error("retention: {}", s.ToString());
      }
      PruneOldRecords();
      next_retention = clock_->Now() + config_.retention_check_interval;
    }
    lock.Lock();
    // Each second: command deadlines are checked at this resolution.
    cv_.wait_for(lock.native(), std::chrono::seconds(1), [&] { return stopping_; });
  }
}

void Collector::PruneOldRecords() {
  const int64_t cutoff = absl::ToUnixMillis(clock_->Now() - config_.records_retention);
  absl::StatusOr<RecordsPruned> pruned = PruneRecords(storage_->records(), cutoff);
  if (!pruned.ok()) {
    spdlog::error("records retention: {}", pruned.status().ToString());
  } else if (pruned->total() > 0) {
    spdlog::info(
        "records retention ({}d): deleted {} audit, {} alert event, {} command, {} rollout, {} "
        "incident and {} silence record(s)",
        absl::ToInt64Hours(config_.records_retention) / 24, pruned->audit, pruned->alert_events,
        pruned->commands, pruned->rollouts, pruned->incidents, pruned->silences);
  }
}

void Collector::SendEscalation(const rollguard::v1::Incident& inc, const EscalationLevel& level,
                               const std::string& text) {
  Notification n;
  n.alert.set_id(inc.alert_id());
  n.alert.set_host_id(inc.host_id());
  n.alert.set_rule(inc.rule());
  n.alert.set_severity(inc.severity());
  n.alert.set_metric(inc.metric());
  n.alert.set_threshold(inc.threshold());
  n.alert.set_comparison(inc.comparison());
  n.alert.set_playbook(inc.playbook());
  SetState(&n.alert, AlertState::kFiring);
  n.alert.set_fired_at_ms(inc.opened_ms());
  n.alert.set_summary(absl::StrCat("incident ", inc.id(), " escalated to L", inc.level(), " (",
                                   level.name, "): ", inc.summary()));
  n.reason = inc.timeline().empty() ? "" : inc.timeline().rbegin()->what();
  n.kind = NotifyKind::kEscalation;
  n.host_labels = registry_->LabelsOf(inc.host_id());
  n.detail = text;
  alerting_->NotifyDirect(n, level.receivers);
}

absl::StatusOr<size_t> Collector::ReloadRules() {
  if (!alerting_) return absl::FailedPreconditionError("collector not started");
  return alerting_->Reload();
}

void Collector::ReloadNotify(NotifyConfig config) {
  if (alerting_) alerting_->ReloadNotify(std::move(config));
}

absl::StatusOr<size_t> Collector::ReloadTokens() {
  if (!tokens_) return 0;
  absl::StatusOr<size_t> n = tokens_->Reload();
  if (n.ok()) {
    spdlog::info("tokens: {} loaded from {}", *n, tokens_->path());
  } else {
    spdlog::error("tokens: keeping the old ones: {}", std::string(n.status().message()));
  }
  return n;
}

void Collector::Wait() {
  MutexLock lock(&mu_);
  cv_.wait(lock.native(), [&] { return stopped_; });
}

std::function<void(httplib::Server*)> Collector::ConsoleRoutes() {
  if (!config_.console) return nullptr;
  if (!config_.tls.enabled() && !IsLoopbackAddress(config_.http_listen)) {
    // --insecure opened /metrics in plaintext to the network; the console
    // there would sign anyone in as the all-powerful local user.
    spdlog::warn("console: off: plaintext on {} (not loopback); configure TLS to serve it",
                 config_.http_listen);
    return nullptr;
  }
  console_sessions_ = std::make_unique<SessionStore>(tokens_.get(), clock_);
  ConsoleOptions co;
  co.admin = admin_service_.get();
  co.sessions = console_sessions_.get();
  co.storage = storage_.get();
  co.registry = registry_.get();
  co.clock = clock_;
  co.tls = config_.tls.enabled();
  console_ = std::make_unique<Console>(co);
  return [this](httplib::Server* server) { console_->AddRoutes(server); };
}

absl::Status Collector::ServeHttp() {
  if (config_.http_listen.empty()) return absl::OkStatus();
  HttpListenerOptions o;
  o.listen = config_.http_listen;
  o.tls = config_.tls;
  o.tokens = tokens_.get();
  MetricsSources sources{&stats_,         storage_.get(),  registry_.get(),   alerting_.get(),
                         commands_.get(), rollouts_.get(), remediator_.get(), &command_outcomes_,
                         &remote_write_,  clock_->NowMs(), election_.get()};
  o.metrics = [this, sources] {
    std::string page = RenderMetrics(sources);
    absl::StrAppend(&page,
                    "# HELP rollguard_http_queue_full_total Times the HTTP listener's handlers "
                    "were all busy and accepting waited.\n"
                    "# TYPE rollguard_http_queue_full_total counter\n"
                    "rollguard_http_queue_full_total ",
                    http_->queue_full(), "\n");
    if (console_sessions_) {
      absl::StrAppend(&page,
                      "# HELP rollguard_console_sessions Web console sessions signed in.\n"
                      "# TYPE rollguard_console_sessions gauge\n"
                      "rollguard_console_sessions ",
                      console_sessions_->size(),
                      "\n# HELP rollguard_console_sessions_evicted_total Console sessions "
                      "ended early because the session table was full.\n"
                      "# TYPE rollguard_console_sessions_evicted_total counter\n"
                      "rollguard_console_sessions_evicted_total ",
                      console_sessions_->evicted(), "\n");
    }
    return page;
  };
  o.console = ConsoleRoutes();
  http_ = std::make_unique<HttpListener>(std::move(o));
  absl::Status s = http_->Start();
  if (!s.ok() && !config_.http_listen_set) {
    // The default address, taken (a second collector on this host): the
    // collector runs all the same, without /metrics there.
    spdlog::warn("{}: /metrics not served; set http_listen to another address",
                 std::string(s.message()));
    http_.reset();
    return absl::OkStatus();
  }
  return s;
}

void Collector::Stop() {
  {
    MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.notify_all();
  }
  // First: stop acting and hand the leadership over (the lease is revoked,
  // so the follower leads at its next poll rather than a TTL from now).
  if (election_) election_->Stop();
  if (maintenance_.joinable()) maintenance_.join();
  if (http_) http_->Stop();
  // Stop intake; the agents resend whatever they have not had acknowledged.
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  if (pool_) pool_->Stop();
  if (alerting_) alerting_->Stop();
  if (registry_) {
    if (absl::Status s = registry_->Flush(); !s.ok()) spdlog::error("host flush: {}", s.ToString());
  }
  if (server_) server_->Wait();
  server_.reset();
  alerting_.reset();
  remote_write_.Stop();
  storage_.reset();
  spdlog::info("collector stopped ({} samples stored this run)", stats_.samples_stored.load());
  MutexLock lock(&mu_);
  stopped_ = true;
  cv_.notify_all();
}

}  // namespace rollguard::collector
