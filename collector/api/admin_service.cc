#include "collector/api/admin_service.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

AdminServiceImpl::AdminServiceImpl(Storage* storage, HostRegistry* registry, Alerting* alerting,
                                   const Clock* clock)
    : storage_(storage), registry_(registry), alerting_(alerting), clock_(clock) {}

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

grpc::ServerUnaryReactor* AdminServiceImpl::ListHosts(grpc::CallbackServerContext* ctx,
                                                      const rollguard::v1::ListHostsRequest*,
                                                      rollguard::v1::ListHostsResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(DoListHosts(resp)));
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::QueryHistory(
    grpc::CallbackServerContext* ctx, const rollguard::v1::QueryHistoryRequest* req,
    rollguard::v1::QueryHistoryResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(DoQueryHistory(*req, resp)));
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListAlerts(grpc::CallbackServerContext* ctx,
                                                       const rollguard::v1::ListAlertsRequest* req,
                                                       rollguard::v1::ListAlertsResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(alerting_->ListAlerts(*req, resp)));
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::AddSilence(grpc::CallbackServerContext* ctx,
                                                       const rollguard::v1::AddSilenceRequest* req,
                                                       rollguard::v1::Silence* resp) {
  auto* reactor = ctx->DefaultReactor();
  auto s = alerting_->AddSilence(*req);
  if (s.ok()) *resp = *s;
  reactor->Finish(ToGrpcStatus(s.status()));
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListSilences(
    grpc::CallbackServerContext* ctx, const rollguard::v1::ListSilencesRequest* req,
    rollguard::v1::ListSilencesResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(alerting_->ListSilences(req->all(), resp)));
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::RemoveSilence(
    grpc::CallbackServerContext* ctx, const rollguard::v1::RemoveSilenceRequest* req,
    rollguard::v1::RemoveSilenceResponse*) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(alerting_->RemoveSilence(req->id())));
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::ReloadRules(grpc::CallbackServerContext* ctx,
                                                        const rollguard::v1::ReloadRulesRequest*,
                                                        rollguard::v1::ReloadRulesResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  auto n = alerting_->Reload();
  if (n.ok()) {
    resp->set_rules(static_cast<uint32_t>(*n));
    resp->set_source(alerting_->rules_source());
  }
  reactor->Finish(ToGrpcStatus(n.status()));
  return reactor;
}

}  // namespace rollguard::collector
