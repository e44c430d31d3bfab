#include "collector/commands/rollout_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/storage/record_messages.h"
#include "common/mutex.h"
#include "common/record_states.h"
#include "common/status_macros.h"

namespace rollguard::collector {

using rollguard::v1::Rollout;

namespace {

constexpr uint32_t kMaxParallelLimit = 1000;

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

RolloutManager::RolloutManager(RecordStore* records, CommandManager* commands,
                               HostRegistry* registry, AuditLog* audit, const Clock* clock,
                               absl::Duration default_queue_for)
    : records_(records),
      commands_(commands),
      registry_(registry),
      audit_(audit),
      clock_(clock),
      default_queue_for_(default_queue_for) {}

absl::Status RolloutManager::Load() {
  commands_->AddListener([this](const rollguard::v1::CommandRecord& r) { OnCommandFinished(r); });
  MutexLock lock(&mu_);
  absl::Status s = ScanMessages<Rollout>(*records_, Table::kRollouts, "", "", [&](Rollout&& r) {
    mu_.AssertHeld();  // called here, under the lock
    if (StateOf(r) == RolloutState::kRunning) running_[r.id()] = std::move(r);
    return true;
  });
  if (!s.ok()) return s;
  // Commands may have finished while the collector was down.
  for (auto it = running_.begin(); it != running_.end();) {
    DriveLocked(&it->second);
    it = StateOf(it->second) == RolloutState::kRunning ? std::next(it) : running_.erase(it);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> RolloutManager::ResolveHosts(
    const rollguard::v1::StartRolloutRequest& req) const {
  int forms = (req.host_ids_size() > 0) + (!req.selector().empty()) + req.all();
  if (forms != 1) {
    return absl::InvalidArgumentError("name the hosts one way: host ids, a selector, or all");
  }
  std::vector<std::string> hosts;
  if (req.host_ids_size() > 0) {
    std::vector<std::string> unknown;
    for (const std::string& h : req.host_ids()) {
      if (!registry_->Known(h)) {
        unknown.push_back(h);
      } else if (!Contains(hosts, h)) {
        hosts.push_back(h);
      }
    }
    if (!unknown.empty()) {
      return absl::NotFoundError(
          absl::StrCat("unknown host(s): ", absl::StrJoin(unknown, ", "),
                       " (no agent with that id has ever connected; see `rollguard hosts`)"));
    }
    return hosts;
  }
  for (const rollguard::v1::HostStatus& h : registry_->List()) {
    bool match = true;
    for (const auto& [k, v] : req.selector()) {
      auto it = h.labels().find(k);
      if (it == h.labels().end() || it->second != v) match = false;
    }
    if (match) hosts.push_back(h.host_id());
  }
  if (hosts.empty()) {
    return absl::NotFoundError(req.all() ? "no hosts are known yet"
                                         : "no host's labels match the selector");
  }
  return hosts;
}

absl::StatusOr<Rollout> RolloutManager::Start(const rollguard::v1::StartRolloutRequest& req) {
  if (req.playbook().empty()) return absl::InvalidArgumentError("a rollout needs a playbook");
  if (req.max_parallel() > kMaxParallelLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_parallel ", req.max_parallel(), " is above ", kMaxParallelLimit));
  }
  auto hosts = ResolveHosts(req);
  if (!hosts.ok()) return hosts.status();
  for (const std::string& h : *hosts) {
    std::vector<std::string> known = commands_->PlaybooksOf(h);
    if (!known.empty() && !Contains(known, req.playbook())) {
      return absl::InvalidArgumentError(
          absl::StrCat("host '", h, "' has no playbook '", req.playbook(),
                       "' (its agent has: ", absl::StrJoin(known, ", "), ")"));
    }
  }
  Rollout r;
  absl::Time now = clock_->Now();
  r.set_id(NewTimeOrderedId("r", now));
  r.set_playbook(req.playbook());
  for (const std::string& h : *hosts) r.add_host_ids(h);
  r.set_max_parallel(std::max<uint32_t>(1, req.max_parallel()));
  r.set_continue_on_failure(req.continue_on_failure());
  r.set_dry_run(req.dry_run());
  r.set_requested_by(req.requested_by());
  r.set_reason(req.reason());
  r.set_created_ms(absl::ToUnixMillis(now));
  r.set_queue_for_ms(req.queue_for_ms() > 0 ? req.queue_for_ms()
                                            : absl::ToInt64Milliseconds(default_queue_for_));
  SetState(&r, RolloutState::kRunning);
  r.set_drill(req.drill());
  if (req.resolve_only()) return r;

  rollguard::v1::AuditRecord audit;
  audit.set_at_ms(r.created_ms());
  audit.set_actor(r.requested_by());
  audit.set_action("rollout");
  audit.set_playbook(r.playbook());
  audit.set_reason(r.reason());
  audit.set_rollout_id(r.id());
  audit.set_outcome(absl::StrCat("started on ", r.host_ids_size(), " host(s), ", r.max_parallel(),
                                 " at a time", r.dry_run() ? " (dry run)" : ""));
  audit_->Record(audit);

  MutexLock lock(&mu_);
  Rollout& stored = running_[r.id()] = std::move(r);
  DriveLocked(&stored);
  Rollout result = stored;
  if (StateOf(stored) != RolloutState::kRunning) running_.erase(result.id());
  return result;
}

void RolloutManager::DriveLocked(Rollout* r) {
  int active = 0;
  int failed = 0;
  std::vector<std::string> failed_hosts;
  for (const auto& [host, command_id] : r->command_ids()) {
    auto rec = commands_->Get(command_id);
    if (!rec.ok()) {
      ++failed;
      failed_hosts.push_back(host);
      continue;
    }
    if (!IsFinal(rec->state())) {
      ++active;
    } else if (rec->state() != rollguard::v1::SUCCEEDED) {
      ++failed;
      failed_hosts.push_back(host);
    }
  }
  bool halted = failed > 0 && !r->continue_on_failure();
  if (halted && r->halt_reason().empty()) {
    r->set_halt_reason(absl::StrCat("host ", failed_hosts.front(),
                                    " failed; no further hosts dispatched (--continue-on-failure "
                                    "to keep going)"));
  }
  for (const std::string& host : r->host_ids()) {
    if (halted || active >= static_cast<int>(r->max_parallel())) break;
    if (r->command_ids().contains(host)) continue;
    rollguard::v1::Command cmd;
    cmd.set_playbook(r->playbook());
    cmd.set_dry_run(r->dry_run());
    cmd.set_requested_by(r->requested_by());
    cmd.set_reason(r->reason());
    cmd.set_rollout_id(r->id());
    cmd.set_drill(r->drill());
    auto rec = commands_->Submit(std::move(cmd), host, absl::Milliseconds(r->queue_for_ms()));
    if (!rec.ok()) {
      spdlog::error("rollout {}: cannot queue a command for {}: {}", r->id(), host,
                    rec.status().ToString());
      halted = true;
      r->set_halt_reason(absl::StrCat("storing the command for ", host, " failed"));
      break;
    }
    (*r->mutable_command_ids())[host] = rec->command().id();
    ++active;
  }
  bool all_dispatched = r->command_ids_size() == r->host_ids_size();
  if (active == 0 && (halted || all_dispatched)) {
    SetState(r, failed == 0      ? RolloutState::kSucceeded
                : all_dispatched ? RolloutState::kFailed
                                 : RolloutState::kHalted);
    r->set_finished_ms(clock_->NowMs());
    rollguard::v1::AuditRecord audit;
    audit.set_at_ms(r->finished_ms());
    audit.set_actor(r->requested_by());
    audit.set_action("rollout");
    audit.set_playbook(r->playbook());
    audit.set_rollout_id(r->id());
    audit.set_outcome(absl::StrCat(
        r->state(), ": ", r->command_ids_size() - failed, " of ", r->host_ids_size(),
        " host(s) succeeded", failed > 0 ? ", failed: " + absl::StrJoin(failed_hosts, ", ") : ""));
    audit_->Record(audit);
  }
  if (absl::Status s = records_->Put(Table::kRollouts, r->id(), r->SerializeAsString()); !s.ok()) {
    spdlog::error("rollout {}: storing it: {}", r->id(), s.ToString());
  }
}

void RolloutManager::OnCommandFinished(const rollguard::v1::CommandRecord& record) {
  const std::string& id = record.command().rollout_id();
  if (id.empty()) return;
  MutexLock lock(&mu_);
  auto it = running_.find(id);
  if (it == running_.end()) return;
  DriveLocked(&it->second);
  if (StateOf(it->second) != RolloutState::kRunning) running_.erase(it);
}

absl::StatusOr<rollguard::v1::RolloutStatus> RolloutManager::Get(const std::string& id) const {
  rollguard::v1::RolloutStatus status;
  bool found = false;
  {
    MutexLock lock(&mu_);
    if (auto it = running_.find(id); it != running_.end()) {
      *status.mutable_rollout() = it->second;
      found = true;
    }
  }
  if (!found) {
    ASSIGN_OR_RETURN(std::optional<Rollout> stored,
                     GetMessage<Rollout>(*records_, Table::kRollouts, id));
    if (stored) {
      *status.mutable_rollout() = std::move(*stored);
      found = true;
    }
  }
  if (!found) return absl::NotFoundError(absl::StrCat("no rollout '", id, "'"));
  for (const std::string& host : status.rollout().host_ids()) {
    auto it = status.rollout().command_ids().find(host);
    if (it == status.rollout().command_ids().end()) continue;
    auto rec = commands_->Get(it->second);
    if (rec.ok()) *status.add_commands() = std::move(*rec);
  }
  return status;
}

}  // namespace rollguard::collector
