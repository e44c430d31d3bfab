#include "collector/api/admin_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/auth/method_roles.h"
#include "collector/automation/replay.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace rollguard::collector {
namespace {

constexpr uint32_t kDefaultLimit = 10000;
constexpr uint32_t kMaxLimit = 1000000;

// Latest value of the host's unlabelled series `metric`, if any.
absl::StatusOr<std::optional<double>> LatestValue(const Storage& storage, const std::string& host,
                                                  const std::string& metric) {
  for (const SeriesInfo& s : storage.FindSeries(metric, {{"host", host}})) {
    if (s.key.labels.size() != 1) continue;  // only the plain host series
    ASSIGN_OR_RETURN(std::optional<Point> p, storage.Latest(s.id));
    if (p) return std::optional<double>(p->value);
  }
  return std::optional<double>();
}

}  // namespace

AdminServiceImpl::AdminServiceImpl(Deps deps)
    : storage_(deps.storage),
      registry_(deps.registry),
      alerting_(deps.alerting),
      commands_(deps.commands),
      rollouts_(deps.rollouts),
      audit_(deps.audit),
      remediator_(deps.remediator),
      clock_(deps.clock),
      retention_(deps.retention),
      remote_write_(deps.remote_write),
      leadership_(deps.leadership != nullptr ? deps.leadership : SoleLeader::Get()),
      election_(deps.election),
      auth_(deps.auth),
      started_ms_(deps.clock->NowMs()) {
  Register("ListHosts", &AdminServiceImpl::HandleListHosts);
  Register("QueryHistory", &AdminServiceImpl::HandleQueryHistory);
  Register("ListAlerts", &AdminServiceImpl::HandleListAlerts);
  Register("AddSilence", &AdminServiceImpl::HandleAddSilence);
  Register("ListSilences", &AdminServiceImpl::HandleListSilences);
  Register("RemoveHost", &AdminServiceImpl::HandleRemoveHost);
  Register("RemoveSilence", &AdminServiceImpl::HandleRemoveSilence);
  Register("ReloadRules", &AdminServiceImpl::HandleReloadRules);
  Register("StartRollout", &AdminServiceImpl::HandleStartRollout);
  Register("GetRollout", &AdminServiceImpl::HandleGetRollout);
  Register("GetCommand", &AdminServiceImpl::HandleGetCommand);
  Register("ListCommands", &AdminServiceImpl::HandleListCommands);
  Register("UndoCommand", &AdminServiceImpl::HandleUndoCommand);
  Register("ListAudit", &AdminServiceImpl::HandleListAudit);
  Register("ListIncidents", &AdminServiceImpl::HandleListIncidents);
  Register("GetIncident", &AdminServiceImpl::HandleGetIncident);
  Register("ApproveIncident", &AdminServiceImpl::HandleApproveIncident);
  Register("AckIncident", &AdminServiceImpl::HandleAckIncident);
  Register("GetStorageStats", &AdminServiceImpl::HandleGetStorageStats);
  Register("GetVersion", &AdminServiceImpl::HandleGetVersion);
  Register("GetHaStatus", &AdminServiceImpl::HandleGetHaStatus);
  Register("ListSeries", &AdminServiceImpl::HandleListSeries);
}

absl::Status AdminServiceImpl::DoListHosts(rollguard::v1::ListHostsResponse* resp) const {
  for (rollguard::v1::HostStatus& h : registry_->List()) {
    const std::string& id = h.host_id();
    ASSIGN_OR_RETURN(auto cpu, LatestValue(*storage_, id, "cpu_usage"));
    ASSIGN_OR_RETURN(auto mem, LatestValue(*storage_, id, "memory_usage"));
    ASSIGN_OR_RETURN(auto disk, LatestValue(*storage_, id, "disk_usage"));
    ASSIGN_OR_RETURN(auto bot_up, LatestValue(*storage_, id, "bot_up"));
    ASSIGN_OR_RETURN(auto bot_mem, LatestValue(*storage_, id, "bot_memory_mb"));
    if (cpu) h.set_cpu_usage(*cpu);
    if (mem) h.set_memory_usage(*mem);
    if (disk) h.set_disk_usage(*disk);
    if (bot_up) h.set_bot_up(*bot_up > 0.5);
    if (bot_mem && bot_up && *bot_up > 0.5) h.set_bot_memory_mb(*bot_mem);
    if (commands_ != nullptr) {
      for (const std::string& p : commands_->PlaybooksOf(id)) h.add_playbooks(p);
    }
    *resp->add_hosts() = std::move(h);
  }
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::DoQueryHistory(const rollguard::v1::QueryHistoryRequest& req,
                                              rollguard::v1::QueryHistoryResponse* resp) const {
  if (req.host_id().empty()) return absl::InvalidArgumentError("host_id is required");
  if (req.metric().empty()) return absl::InvalidArgumentError("metric is required");
  if (!registry_->Known(req.host_id())) {
    std::vector<std::string> known;
    for (const auto& h : registry_->List()) known.push_back(h.host_id());
    return absl::NotFoundError(
        absl::StrCat("unknown host '", req.host_id(),
                     "' (known: ", known.empty() ? "none" : absl::StrJoin(known, ", "), ")"));
  }
  Labels matchers(req.label_matchers().begin(), req.label_matchers().end());
  matchers["host"] = req.host_id();
  std::vector<SeriesInfo> series = storage_->FindSeries(req.metric(), matchers);
  if (series.empty()) {
    std::set<std::string> metrics;
    for (const auto& s : storage_->FindSeries("", {{"host", req.host_id()}})) {
      metrics.insert(s.key.metric);
    }
    return absl::NotFoundError(
        absl::StrCat("host '", req.host_id(), "' has no metric '", req.metric(), "'",
                     req.label_matchers().empty() ? "" : " with those labels",
                     " (has: ", metrics.empty() ? "none yet" : absl::StrJoin(metrics, ", "), ")"));
  }
  int64_t end = req.end_ms() > 0 ? req.end_ms() : clock_->NowMs() + 1;
  int64_t start = req.start_ms();
  if (end <= start) {
    return absl::InvalidArgumentError("the start of the range must be before its end");
  }
  uint32_t limit = req.limit() == 0 ? kDefaultLimit : std::min(req.limit(), kMaxLimit);
  std::sort(series.begin(), series.end(),
            [](const SeriesInfo& a, const SeriesInfo& b) { return a.key.labels < b.key.labels; });
  for (const SeriesInfo& s : series) {
    ASSIGN_OR_RETURN(std::vector<Point> points, storage_->Query(s.id, start, end, limit));
    auto* out = resp->add_series();
    out->set_metric(s.key.metric);
    for (const auto& [k, v] : s.key.labels) (*out->mutable_labels())[k] = v;
    for (const Point& p : points) {
      auto* pt = out->add_points();
      pt->set_timestamp_ms(p.timestamp_ms);
      pt->set_value(p.value);
    }
  }
  return absl::OkStatus();
}

namespace {

template <typename T>
absl::Status Assign(absl::StatusOr<T> v, T* out) {
  if (!v.ok()) return v.status();
  *out = std::move(*v);
  return absl::OkStatus();
}

absl::Status NeedCommands(const CommandManager* commands) {
  return commands == nullptr ? absl::UnimplementedError("commands are not enabled")
                             : absl::OkStatus();
}

absl::Status NeedAutomation(const Remediator* remediator) {
  return remediator == nullptr ? absl::UnimplementedError("automation is not enabled")
                               : absl::OkStatus();
}

// At most one warning a second about callers who could not even say who
// they are: anyone who can reach the port could otherwise fill the log.
void WarnUnauthenticated(const std::string& peer, absl::string_view method,
                         const absl::Status& why) {
  static std::atomic<int64_t> last_ms{0};
  static std::atomic<uint64_t> suppressed{0};
  int64_t now = absl::ToUnixMillis(absl::Now());
  int64_t last = last_ms.load();
  if (now - last < 1000 || !last_ms.compare_exchange_strong(last, now)) {
    ++suppressed;
    return;
  }
  spdlog::warn("refused {} from {}: {} ({} more refusals not logged)", std::string(method), peer,
               std::string(why.message()), suppressed.exchange(0));
}

}  // namespace

bool IsControlRead(absl::string_view method) {
  static constexpr absl::string_view kControlReads[] = {
      "ListSilences", "GetRollout",    "GetCommand", "ListCommands",
      "ListAudit",    "ListIncidents", "GetIncident"};
  return std::find(std::begin(kControlReads), std::end(kControlReads), method) !=
         std::end(kControlReads);
}

std::string ActorName(const Principal& who, const std::string& claimed) {
  if (who.kind != PrincipalKind::kLocal) return who.Display();
  return claimed.empty() ? "local" : absl::StrCat("local (says ", claimed, ")");
}

absl::StatusOr<Principal> AdminServiceImpl::Admit(grpc::CallbackServerContext* ctx,
                                                  absl::string_view method) const {
  static const Authenticator kLocalOnly(/*tls=*/false, nullptr);
  const Authenticator& auth = auth_ != nullptr ? *auth_ : kLocalOnly;
  absl::StatusOr<Principal> who = auth.Identify(*ctx);
  if (!who.ok()) {
    WarnUnauthenticated(ctx->peer(), method, who.status());
    return who.status();
  }
  RETURN_IF_ERROR(Authorize(*who, method, ctx->peer()));
  return who;
}

absl::Status AdminServiceImpl::Authorize(const Principal& who, absl::string_view method,
                                         const std::string& peer) const {
  absl::Status s = AuthorizeAdminCall(who, method);
  if (s.ok()) return s;
  // The caller holds a valid identity: worth a line and an audit record,
  // once per caller and method every 10 s (a loop of refused calls would
  // otherwise grow the audit log at request rate).
  const int64_t now = clock_->NowMs();
  {
    MutexLock lock(&denied_mu_);
    if (last_denied_ms_.size() >= 4096) last_denied_ms_.clear();  // bounded
    int64_t& last = last_denied_ms_[absl::StrCat(who.Display(), " ", method)];
    if (last != 0 && now - last < 10'000) return s;
    last = now;
  }
  spdlog::warn("refused {} from {} ({}): {}", std::string(method), who.Display(), peer,
               std::string(s.message()));
  Audit(who, "denied", "", std::string(method), absl::StrCat("refused: ", s.message()));
  return s;
}

void AdminServiceImpl::Audit(const Principal& who, std::string action, std::string host_id,
                             std::string reason, std::string outcome) const {
  if (audit_ == nullptr) return;
  rollguard::v1::AuditRecord r;
  r.set_at_ms(clock_->NowMs());
  r.set_actor(who.Display());
  r.set_action(std::move(action));
  r.set_host_id(std::move(host_id));
  r.set_reason(std::move(reason));
  r.set_outcome(std::move(outcome));
  audit_->Record(r);
}

template <typename Req, typename Resp>
void AdminServiceImpl::Register(absl::string_view method, HandlerFn<Req, Resp> fn) {
  handlers_.emplace(std::string(method),
                    Handler{&Req::default_instance(), &Resp::default_instance(),
                            [this, fn](const Principal& who, const google::protobuf::Message& req,
                                       google::protobuf::Message* resp) {
                              return (this->*fn)(who, static_cast<const Req&>(req),
                                                 static_cast<Resp*>(resp));
                            }});
}

absl::Status AdminServiceImpl::Dispatch(const Principal& who, absl::string_view method,
                                        const google::protobuf::Message& req,
                                        google::protobuf::Message* resp) const {
  auto it = handlers_.find(method);
  if (it == handlers_.end()) {
    return absl::NotFoundError(absl::StrCat("no AdminService method '", method, "' here"));
  }
  const Handler& h = it->second;
  // In an HA pair only the acting leader changes anything: a write here
  // would not be seen by the leader, or would act twice. The refusal names
  // the leader; the CLI moves on to it. Rules reload is each member's own.
  const MethodRole* role = FindMethodRole(method);
  if (role != nullptr && role->role > Role::kViewer && method != "ReloadRules" &&
      !leadership_->Acting()) {
    std::string hint = leadership_->LeaderHint();
    return absl::FailedPreconditionError(absl::StrCat(
        kNotLeaderPrefix, ": ", method, " changes state and only the leader takes it; ",
        hint.empty() ? "no member leads right now (an election, or etcd unreachable): try again "
                       "within the lease ttl"
                     : absl::StrCat("the leader is ", hint,
                                    " (if it does not answer, the other member takes over "
                                    "within the lease ttl: try again then)")));
  }
  // A follower's copy of the control records (silences, commands,
  // rollouts, incidents, audit) is brought up to date only when it leads:
  // while another member leads, reading them here would be stale, so the
  // caller is sent to the leader (the CLI moves on by itself). With nobody
  // leading (etcd away) the local copy is the best there is.
  if (IsControlRead(method) && !leadership_->Acting()) {
    std::string hint = leadership_->LeaderHint();
    if (!hint.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(kNotLeaderPrefix, ": ", method,
                       " reads control records, which are current on the leader only; the "
                       "leader is ",
                       hint));
    }
  }
  // Invoke's callers build the messages from NewRequest/NewResponse; a
  // mismatch is a programming error, refused rather than cast.
  if (req.GetDescriptor() != h.request->GetDescriptor() ||
      resp->GetDescriptor() != h.response->GetDescriptor()) {
    return absl::InternalError(absl::StrCat(method, ": request or response of the wrong type"));
  }
  return h.run(who, req, resp);
}

absl::Status AdminServiceImpl::Invoke(const Principal& who, absl::string_view method,
                                      const std::string& peer, const google::protobuf::Message& req,
                                      google::protobuf::Message* resp) const {
  if (handlers_.find(method) == handlers_.end()) {
    return absl::NotFoundError(absl::StrCat("no AdminService method '", method, "' here"));
  }
  RETURN_IF_ERROR(Authorize(who, method, peer));
  return Dispatch(who, method, req, resp);
}

std::unique_ptr<google::protobuf::Message> AdminServiceImpl::NewRequest(
    absl::string_view method) const {
  auto it = handlers_.find(method);
  if (it == handlers_.end()) return nullptr;
  return std::unique_ptr<google::protobuf::Message>(it->second.request->New());
}

std::unique_ptr<google::protobuf::Message> AdminServiceImpl::NewResponse(
    absl::string_view method) const {
  auto it = handlers_.find(method);
  if (it == handlers_.end()) return nullptr;
  return std::unique_ptr<google::protobuf::Message>(it->second.response->New());
}

grpc::ServerUnaryReactor* AdminServiceImpl::Serve(grpc::CallbackServerContext* ctx,
                                                  absl::string_view method,
                                                  const google::protobuf::Message& req,
                                                  google::protobuf::Message* resp) {
  auto* reactor = ctx->DefaultReactor();
  absl::StatusOr<Principal> who = Admit(ctx, method);
  reactor->Finish(ToGrpcStatus(who.ok() ? Dispatch(*who, method, req, resp) : who.status()));
  return reactor;
}

absl::Status AdminServiceImpl::HandleListHosts(const Principal&,
                                               const rollguard::v1::ListHostsRequest&,
                                               rollguard::v1::ListHostsResponse* resp) const {
  return DoListHosts(resp);
}

absl::Status AdminServiceImpl::HandleQueryHistory(const Principal&,
                                                  const rollguard::v1::QueryHistoryRequest& req,
                                                  rollguard::v1::QueryHistoryResponse* resp) const {
  return DoQueryHistory(req, resp);
}

absl::Status AdminServiceImpl::HandleListAlerts(const Principal&,
                                                const rollguard::v1::ListAlertsRequest& req,
                                                rollguard::v1::ListAlertsResponse* resp) const {
  for (auto& a : alerting_->ActiveAlerts(req.host_id())) *resp->add_alerts() = std::move(a);
  for (auto& r : alerting_->Receivers()) *resp->add_receivers() = std::move(r);
  if (!req.all()) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto events, alerting_->Events(req.host_id(), req.since_ms(), 100000));
  for (auto& e : events) *resp->add_events() = std::move(e);
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::HandleAddSilence(const Principal& who,
                                                const rollguard::v1::AddSilenceRequest& req,
                                                rollguard::v1::Silence* resp) const {
  Labels matchers(req.matchers().begin(), req.matchers().end());
  return Assign(alerting_->AddSilence(matchers, req.duration_ms(), req.comment(),
                                      ActorName(who, req.created_by())),
                resp);
}

absl::Status AdminServiceImpl::HandleListSilences(const Principal&,
                                                  const rollguard::v1::ListSilencesRequest& req,
                                                  rollguard::v1::ListSilencesResponse* resp) const {
  ASSIGN_OR_RETURN(auto silences, alerting_->Silences(req.all()));
  for (auto& s : silences) *resp->add_silences() = std::move(s);
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::HandleRemoveHost(const Principal& who,
                                                const rollguard::v1::RemoveHostRequest& req,
                                                rollguard::v1::RemoveHostResponse* resp) const {
  RETURN_IF_ERROR(registry_->Remove(req.host_id()));
  resp->set_alerts_resolved(static_cast<uint32_t>(alerting_->ForgetHost(req.host_id())));
  spdlog::info("host '{}' removed by {} ({} alert(s) resolved)", req.host_id(), who.Display(),
               resp->alerts_resolved());
  Audit(who, "hosts rm", req.host_id(), "",
        absl::StrCat("removed; ", resp->alerts_resolved(), " alert(s) resolved"));
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::HandleRemoveSilence(const Principal& who,
                                                   const rollguard::v1::RemoveSilenceRequest& req,
                                                   rollguard::v1::RemoveSilenceResponse*) const {
  RETURN_IF_ERROR(alerting_->RemoveSilence(req.id()));
  Audit(who, "silence rm", "", req.id(), "removed");
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::HandleReloadRules(const Principal& who,
                                                 const rollguard::v1::ReloadRulesRequest&,
                                                 rollguard::v1::ReloadRulesResponse* resp) const {
  spdlog::info("rules reload requested by {}", who.Display());
  absl::StatusOr<size_t> reloaded = alerting_->Reload();
  Audit(who, "rules reload", "", "",
        reloaded.ok() ? absl::StrCat(*reloaded, " rules")
                      : absl::StrCat("refused: ", reloaded.status().message()));
  ASSIGN_OR_RETURN(size_t n, std::move(reloaded));
  resp->set_rules(static_cast<uint32_t>(n));
  resp->set_source(alerting_->rules_source());
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::HandleStartRollout(const Principal& who,
                                                  const rollguard::v1::StartRolloutRequest& req,
                                                  rollguard::v1::Rollout* resp) const {
  RETURN_IF_ERROR(NeedCommands(commands_));
  rollguard::v1::StartRolloutRequest r = req;
  r.set_requested_by(ActorName(who, req.requested_by()));
  return Assign(rollouts_->Start(r), resp);
}

absl::Status AdminServiceImpl::HandleGetRollout(const Principal&,
                                                const rollguard::v1::GetRolloutRequest& req,
                                                rollguard::v1::RolloutStatus* resp) const {
  RETURN_IF_ERROR(NeedCommands(commands_));
  return Assign(rollouts_->Get(req.id(), req.summary()), resp);
}

absl::Status AdminServiceImpl::HandleGetCommand(const Principal&,
                                                const rollguard::v1::GetCommandRequest& req,
                                                rollguard::v1::CommandRecord* resp) const {
  RETURN_IF_ERROR(NeedCommands(commands_));
  return Assign(commands_->Get(req.id()), resp);
}

absl::Status AdminServiceImpl::HandleListCommands(const Principal&,
                                                  const rollguard::v1::ListCommandsRequest& req,
                                                  rollguard::v1::ListCommandsResponse* resp) const {
  RETURN_IF_ERROR(NeedCommands(commands_));
  ASSIGN_OR_RETURN(
      auto page,
      commands_->List(req.host_id(), req.since_ms(),
                      req.limit() > 0 ? std::min(req.limit(), 10'000u) : 1000, req.before_id()));
  for (auto& r : page.commands) *resp->add_commands() = std::move(r);
  resp->set_next_before_id(page.next_before_id);
  return absl::OkStatus();
}

absl::StatusOr<rollguard::v1::CommandRecord> AdminServiceImpl::DoUndo(
    const rollguard::v1::UndoCommandRequest& req) const {
  RETURN_IF_ERROR(NeedCommands(commands_));
  ASSIGN_OR_RETURN(rollguard::v1::CommandRecord original, commands_->Get(req.command_id()));
  if (!original.command().undo_of().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("command ", req.command_id(),
                                                   " is itself an undo; undo the original, ",
                                                   original.command().undo_of(), ", only once"));
  }
  if (original.command().dry_run()) {
    return absl::InvalidArgumentError(
        absl::StrCat("command ", req.command_id(), " was a dry run; it changed nothing"));
  }
  if (!IsFinal(original.state())) {
    return absl::FailedPreconditionError(
        absl::StrCat("command ", req.command_id(), " has not finished; undo it afterwards"));
  }
  rollguard::v1::Command undo;
  undo.set_undo_of(req.command_id());
  undo.set_drill(req.drill() || original.command().drill());
  undo.set_requested_by(req.requested_by());
  undo.set_reason(req.reason().empty() ? absl::StrCat("undo of ", original.command().playbook())
                                       : req.reason());
  return commands_->Submit(
      std::move(undo), original.host_id(),
      absl::Milliseconds(std::max<int64_t>(
          60000, original.command().deadline_ms() - original.command().created_ms())));
}

absl::Status AdminServiceImpl::HandleUndoCommand(const Principal& who,
                                                 const rollguard::v1::UndoCommandRequest& req,
                                                 rollguard::v1::CommandRecord* resp) const {
  rollguard::v1::UndoCommandRequest r = req;
  r.set_requested_by(ActorName(who, req.requested_by()));
  return Assign(DoUndo(r), resp);
}

absl::Status AdminServiceImpl::HandleListAudit(const Principal&,
                                               const rollguard::v1::ListAuditRequest& req,
                                               rollguard::v1::ListAuditResponse* resp) const {
  RETURN_IF_ERROR(NeedCommands(commands_));
  ASSIGN_OR_RETURN(auto list,
                   audit_->List(req.since_ms(), req.host_id(),
                                req.limit() > 0 ? std::min(req.limit(), 10'000u) : 1000));
  for (auto& r : list) *resp->add_records() = std::move(r);
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::HandleListIncidents(
    const Principal&, const rollguard::v1::ListIncidentsRequest& req,
    rollguard::v1::ListIncidentsResponse* resp) const {
  RETURN_IF_ERROR(NeedAutomation(remediator_));
  ASSIGN_OR_RETURN(auto list, remediator_->List(req.all(), req.since_ms(), req.host_id()));
  for (auto& i : list) *resp->add_incidents() = std::move(i);
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::HandleGetIncident(const Principal&,
                                                 const rollguard::v1::GetIncidentRequest& req,
                                                 rollguard::v1::Incident* resp) const {
  RETURN_IF_ERROR(NeedAutomation(remediator_));
  return Assign(remediator_->Get(req.id()), resp);
}

absl::Status AdminServiceImpl::HandleApproveIncident(
    const Principal& who, const rollguard::v1::IncidentActionRequest& req,
    rollguard::v1::Incident* resp) const {
  RETURN_IF_ERROR(NeedAutomation(remediator_));
  return Assign(remediator_->Approve(req.id(), ActorName(who, req.by())), resp);
}

absl::Status AdminServiceImpl::HandleAckIncident(const Principal& who,
                                                 const rollguard::v1::IncidentActionRequest& req,
                                                 rollguard::v1::Incident* resp) const {
  RETURN_IF_ERROR(NeedAutomation(remediator_));
  return Assign(remediator_->Ack(req.id(), ActorName(who, req.by()), req.comment()), resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::Replay(grpc::CallbackServerContext* ctx,
                                                   const rollguard::v1::ReplayRequest* req,
                                                   rollguard::v1::ReplayResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  absl::Status refused = [&]() -> absl::Status {
    RETURN_IF_ERROR(Admit(ctx, "Replay").status());
    RETURN_IF_ERROR(NeedAutomation(remediator_));
    if (alerting_ == nullptr) return absl::UnimplementedError("alerting is not enabled");
    return absl::OkStatus();
  }();
  if (!refused.ok()) {
    reactor->Finish(ToGrpcStatus(refused));
    return reactor;
  }
  ReplayInput in;
  in.rules = alerting_->rules();
  in.engine = alerting_->engine_options();
  in.automation = remediator_->options();
  in.since_ms = req->since_ms();
  in.until_ms = req->until_ms() > 0 ? req->until_ms() : clock_->NowMs();
  in.host_id = req->host_id();
  in.oldest_ms = absl::ToUnixMillis(clock_->Now() - retention_);
  // The client's deadline, its going away and a server shutdown all cancel.
  in.cancelled = [ctx] { return ctx->IsCancelled(); };
  // Reading and replaying days of a fleet's history takes seconds to
  // minutes: it runs on its own thread, one replay at a time.
  const bool started = replays_.TryStart(
      [this, resp, in = std::move(in)] {
        return Assign(collector::Replay(*storage_, *registry_, in), resp);
      },
      [reactor](absl::Status s) { reactor->Finish(ToGrpcStatus(s)); });
  if (!started) {
    reactor->Finish(ToGrpcStatus(
        absl::ResourceExhaustedError("another replay is running; try again when it has finished")));
  }
  return reactor;
}

rollguard::v1::StorageStats AdminServiceImpl::DoGetStorageStats() const {
  StorageStats st = storage_->Stats();
  rollguard::v1::StorageStats out;
  out.set_head_points(st.head_points);
  out.set_head_series(st.head_series);
  out.set_head_points_limit(st.head_points_limit);
  out.set_head_bytes(st.head_bytes);
  out.set_series(st.series);
  out.set_chunks_written(st.chunks_written);
  out.set_chunks_merged(st.chunks_merged);
  out.set_points_sealed(st.points_sealed);
  out.set_chunk_bytes(st.chunk_bytes);
  out.set_log_bytes(st.log_bytes);
  out.set_other_bytes(st.other_bytes);
  out.set_memtable_bytes(st.memtable_bytes);
  out.set_failed_writes(st.failed_writes);
  out.set_write_error(st.write_error);
  out.set_write_error_since_ms(st.write_error_since_ms);
  out.set_quarantined_records(st.quarantined_records);
  if (remote_write_ != nullptr) {
    for (const RemoteWriteStats& r : remote_write_->Stats()) {
      rollguard::v1::RemoteWriteStatus* o = out.add_remote_write();
      o->set_name(r.name);
      o->set_url(r.url);
      o->set_samples_sent(r.samples_sent);
      o->set_samples_dropped(r.samples_rejected + r.samples_too_old + r.samples_unknown_series);
      o->set_requests_failed(r.requests_failed);
      o->set_pending_batches(r.pending_records);
      o->set_lag_seconds(r.lag_seconds);
      o->set_newest_sent_ms(r.newest_sent_ms);
      o->set_last_error(r.last_error);
    }
  }
  return out;
}

absl::Status AdminServiceImpl::HandleGetStorageStats(const Principal&,
                                                     const rollguard::v1::GetStorageStatsRequest&,
                                                     rollguard::v1::StorageStats* resp) const {
  *resp = DoGetStorageStats();
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::HandleGetHaStatus(const Principal&,
                                                 const rollguard::v1::GetHaStatusRequest&,
                                                 rollguard::v1::HaStatus* resp) const {
  if (election_ == nullptr) {
    return absl::FailedPreconditionError(
        "HA is off on this collector (no `ha:` section in its config): it acts alone");
  }
  resp->set_answered_by_acting(election_->Acting());
  resp->set_now_ms(clock_->NowMs());
  absl::StatusOr<HaView> got = election_->View();
  if (!got.ok()) {
    // An answer, not an error: the CLI would take UNAVAILABLE for "this
    // collector is down" when it is etcd that is.
    resp->set_etcd_error(std::string(got.status().message()));
    resp->set_answered_by(election_->member());
    return absl::OkStatus();
  }
  const HaView& view = *got;
  resp->set_cluster(view.cluster);
  resp->set_leader(view.leader);
  resp->set_leader_address(view.leader_address);
  resp->set_epoch(view.epoch);
  resp->set_lease_ttl_left_s(view.lease_ttl_left_s);
  for (const HaMember& m : view.members) {
    rollguard::v1::HaMember* out = resp->add_members();
    out->set_name(m.name);
    out->set_address(m.address);
    out->set_leader(m.leader);
    out->set_heartbeat_ms(m.heartbeat_ms);
    out->set_last_stored_ms(m.last_stored_ms);
  }
  resp->set_answered_by(view.self);
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::HandleGetVersion(const Principal&,
                                                const rollguard::v1::GetVersionRequest&,
                                                rollguard::v1::VersionInfo* resp) const {
  resp->set_collector_version(ROLLGUARD_VERSION);
  resp->set_started_ms(started_ms_);
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::HandleListSeries(const Principal&,
                                                const rollguard::v1::ListSeriesRequest& req,
                                                rollguard::v1::ListSeriesResponse* resp) const {
  // One host at a time bounds the answer (a host has at most
  // ingest.max_series_per_host series).
  if (req.host_id().empty()) return absl::InvalidArgumentError("host_id is required");
  if (!registry_->Known(req.host_id())) {
    return absl::NotFoundError(absl::StrCat("unknown host '", req.host_id(), "'"));
  }
  std::vector<SeriesInfo> series = storage_->FindSeries(req.metric(), {{"host", req.host_id()}});
  std::sort(series.begin(), series.end(), [](const SeriesInfo& a, const SeriesInfo& b) {
    return std::tie(a.key.metric, a.key.labels) < std::tie(b.key.metric, b.key.labels);
  });
  for (const SeriesInfo& s : series) {
    auto* out = resp->add_series();
    out->set_metric(s.key.metric);
    for (const auto& [k, v] : s.key.labels) (*out->mutable_labels())[k] = v;
  }
  return absl::OkStatus();
}

// The gRPC side: admit the caller, then the same handler as Invoke.
grpc::ServerUnaryReactor* AdminServiceImpl::ListHosts(grpc::CallbackServerContext* ctx,
                                                      const rollguard::v1::ListHostsRequest* req,
                                                      rollguard::v1::ListHostsResponse* resp) {
  return Serve(ctx, "ListHosts", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::QueryHistory(
    grpc::CallbackServerContext* ctx, const rollguard::v1::QueryHistoryRequest* req,
    rollguard::v1::QueryHistoryResponse* resp) {
  return Serve(ctx, "QueryHistory", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListAlerts(grpc::CallbackServerContext* ctx,
                                                       const rollguard::v1::ListAlertsRequest* req,
                                                       rollguard::v1::ListAlertsResponse* resp) {
  return Serve(ctx, "ListAlerts", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::AddSilence(grpc::CallbackServerContext* ctx,
                                                       const rollguard::v1::AddSilenceRequest* req,
                                                       rollguard::v1::Silence* resp) {
  return Serve(ctx, "AddSilence", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListSilences(
    grpc::CallbackServerContext* ctx, const rollguard::v1::ListSilencesRequest* req,
    rollguard::v1::ListSilencesResponse* resp) {
  return Serve(ctx, "ListSilences", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::RemoveHost(grpc::CallbackServerContext* ctx,
                                                       const rollguard::v1::RemoveHostRequest* req,
                                                       rollguard::v1::RemoveHostResponse* resp) {
  return Serve(ctx, "RemoveHost", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::RemoveSilence(
    grpc::CallbackServerContext* ctx, const rollguard::v1::RemoveSilenceRequest* req,
    rollguard::v1::RemoveSilenceResponse* resp) {
  return Serve(ctx, "RemoveSilence", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::ReloadRules(
    grpc::CallbackServerContext* ctx, const rollguard::v1::ReloadRulesRequest* req,
    rollguard::v1::ReloadRulesResponse* resp) {
  return Serve(ctx, "ReloadRules", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::StartRollout(
    grpc::CallbackServerContext* ctx, const rollguard::v1::StartRolloutRequest* req,
    rollguard::v1::Rollout* resp) {
  return Serve(ctx, "StartRollout", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::GetRollout(grpc::CallbackServerContext* ctx,
                                                       const rollguard::v1::GetRolloutRequest* req,
                                                       rollguard::v1::RolloutStatus* resp) {
  return Serve(ctx, "GetRollout", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::GetCommand(grpc::CallbackServerContext* ctx,
                                                       const rollguard::v1::GetCommandRequest* req,
                                                       rollguard::v1::CommandRecord* resp) {
  return Serve(ctx, "GetCommand", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListCommands(
    grpc::CallbackServerContext* ctx, const rollguard::v1::ListCommandsRequest* req,
    rollguard::v1::ListCommandsResponse* resp) {
  return Serve(ctx, "ListCommands", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::UndoCommand(
    grpc::CallbackServerContext* ctx, const rollguard::v1::UndoCommandRequest* req,
    rollguard::v1::CommandRecord* resp) {
  return Serve(ctx, "UndoCommand", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListAudit(grpc::CallbackServerContext* ctx,
                                                      const rollguard::v1::ListAuditRequest* req,
                                                      rollguard::v1::ListAuditResponse* resp) {
  return Serve(ctx, "ListAudit", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListIncidents(
    grpc::CallbackServerContext* ctx, const rollguard::v1::ListIncidentsRequest* req,
    rollguard::v1::ListIncidentsResponse* resp) {
  return Serve(ctx, "ListIncidents", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::GetIncident(
    grpc::CallbackServerContext* ctx, const rollguard::v1::GetIncidentRequest* req,
    rollguard::v1::Incident* resp) {
  return Serve(ctx, "GetIncident", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::ApproveIncident(
    grpc::CallbackServerContext* ctx, const rollguard::v1::IncidentActionRequest* req,
    rollguard::v1::Incident* resp) {
  return Serve(ctx, "ApproveIncident", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::AckIncident(
    grpc::CallbackServerContext* ctx, const rollguard::v1::IncidentActionRequest* req,
    rollguard::v1::Incident* resp) {
  return Serve(ctx, "AckIncident", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::GetStorageStats(
    grpc::CallbackServerContext* ctx, const rollguard::v1::GetStorageStatsRequest* req,
    rollguard::v1::StorageStats* resp) {
  return Serve(ctx, "GetStorageStats", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::GetHaStatus(
    grpc::CallbackServerContext* ctx, const rollguard::v1::GetHaStatusRequest* req,
    rollguard::v1::HaStatus* resp) {
  return Serve(ctx, "GetHaStatus", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::GetVersion(grpc::CallbackServerContext* ctx,
                                                       const rollguard::v1::GetVersionRequest* req,
                                                       rollguard::v1::VersionInfo* resp) {
  return Serve(ctx, "GetVersion", *req, resp);
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListSeries(grpc::CallbackServerContext* ctx,
                                                       const rollguard::v1::ListSeriesRequest* req,
                                                       rollguard::v1::ListSeriesResponse* resp) {
  return Serve(ctx, "ListSeries", *req, resp);
}

}  // namespace rollguard::collector
