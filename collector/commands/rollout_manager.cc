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
// Failed hosts a rollout names (the count is exact beyond them).
constexpr int kMaxNamedFailures = 20;

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
  commands_->AddCorrectionListener(
      [this](const rollguard::v1::CommandRecord& r, rollguard::v1::CommandState replaced) {
        OnCommandCorrected(r, replaced);
      });
  return LoadRunning();
}

absl::Status RolloutManager::Reload() {
  {
    MutexLock lock(&mu_);
    running_.clear();
  }
  return LoadRunning();
}

absl::Status RolloutManager::LoadRunning() {
  std::vector<Rollout> loaded;
  RETURN_IF_ERROR(ScanMessages<Rollout>(*records_, Table::kRollouts, "", "", [&](Rollout&& r) {
    if (StateOf(r) == RolloutState::kRunning) loaded.push_back(std::move(r));
    return true;
  }));
  MutexLock lock(&mu_);
  for (Rollout& r : loaded) {
    const std::string id = r.id();
    Running& run = running_[id];
    run.rollout = std::move(r);
    RETURN_IF_ERROR(RebuildLocked(&run));
    // Commands may have finished while the collector was down.
    DriveLocked(&run);
    if (StateOf(run.rollout) != RolloutState::kRunning) running_.erase(id);
  }
  return absl::OkStatus();
}

absl::Status RolloutManager::RebuildLocked(Running* run) {
  Rollout& r = run->rollout;
  const std::string prefix = RolloutHostKey(r.id(), "");
  RETURN_IF_ERROR(records_->Scan(
      Table::kRolloutHosts, prefix, RolloutHostsEnd(r.id()),
      [&](absl::string_view key, absl::string_view value) {
        (*r.mutable_command_ids())[std::string(key.substr(prefix.size()))] = std::string(value);
        return true;
      }));
  r.set_host_count(static_cast<uint32_t>(r.host_ids_size()));
  r.set_succeeded(0);
  r.set_failed(0);
  r.set_running(0);
  r.clear_failed_hosts();
  std::vector<std::pair<std::string, std::string>> never_stored;
  std::vector<rollguard::v1::CommandRecord> finished;
  for (const auto& [host, command_id] : r.command_ids()) {
    absl::StatusOr<rollguard::v1::CommandRecord> rec = commands_->Get(command_id);
    if (absl::IsNotFound(rec.status())) {
      never_stored.emplace_back(host, command_id);
    } else if (absl::IsDataLoss(rec.status())) {
      // Damaged on disk: whether it ran is unknown, so it is neither sent
      // again nor waited for. Counted failed, and the collector starts (a
      // damaged record used to stop every start).
      spdlog::error("rollout {}: the command {} for {} cannot be read ({}); counted as failed",
                    r.id(), command_id, host, std::string(rec.status().message()));
      rollguard::v1::CommandRecord damaged;
      damaged.set_host_id(host);
      damaged.set_state(rollguard::v1::FAILED);
      finished.push_back(std::move(damaged));
    } else if (!rec.ok()) {
      return rec.status();
    } else if (IsFinal(rec->state())) {
      finished.push_back(*std::move(rec));
    } else {
      r.set_running(r.running() + 1);
    }
  }
  // In the order they finished, so failed_hosts names the first failures.
  std::sort(finished.begin(), finished.end(),
            [](const auto& a, const auto& b) { return a.finished_ms() < b.finished_ms(); });
  for (const auto& rec : finished) {
    r.set_running(r.running() + 1);  // CountFinished takes it back
    CountFinished(run, rec);
  }
  // Dispatched, but the collector stopped before the command was stored: it
  // never existed, so it is queued now, under the id recorded for it (a
  // command id exists at most once, so a host cannot get this one twice).
  for (const auto& [host, command_id] : never_stored) {
    r.mutable_command_ids()->erase(host);
    if (!DispatchLocked(&r, host, command_id)) {
      return absl::UnavailableError(
          absl::StrCat("rollout ", r.id(), ": cannot queue the command for ", host));
    }
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
  r.set_host_count(static_cast<uint32_t>(r.host_ids_size()));
  // Stored before its first command: a command never names a rollout that
  // was not stored.
  Save(r);
  const std::string id = r.id();
  Running& run = running_[id];
  run.rollout = std::move(r);
  DriveLocked(&run);
  Rollout result = run.rollout;
  if (StateOf(run.rollout) != RolloutState::kRunning) running_.erase(id);
  return result;
}

bool RolloutManager::DispatchLocked(Rollout* r, const std::string& host,
                                    const std::string& command_id) {
  // The host's command id first: after a crash, a recorded id with no
  // command is queued again under that id; a command with no record cannot be.
  if (absl::Status s =
          records_->Put(Table::kRolloutHosts, RolloutHostKey(r->id(), host), command_id);
      !s.ok()) {
    spdlog::error("rollout {}: storing the dispatch to {}: {}", r->id(), host, s.ToString());
    return false;
  }
  rollguard::v1::Command cmd;
  cmd.set_id(command_id);
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
    return false;
  }
  (*r->mutable_command_ids())[host] = command_id;
  r->set_running(r->running() + 1);
  return true;
}

void RolloutManager::CountFinished(Running* run, const rollguard::v1::CommandRecord& rec) {
  Rollout* r = &run->rollout;
  if (r->running() > 0) r->set_running(r->running() - 1);
  if (rec.state() == rollguard::v1::SUCCEEDED) {
    r->set_succeeded(r->succeeded() + 1);
    return;
  }
  run->counted_failed.insert(rec.host_id());
  r->set_failed(r->failed() + 1);
  if (r->failed_hosts_size() < kMaxNamedFailures) r->add_failed_hosts(rec.host_id());
}

void RolloutManager::DriveLocked(Running* run) {
  Rollout* r = &run->rollout;
  // A halt stays a halt: a host's failure (unless told to go on), or a
  // dispatch that could not be stored (halt_reason says which).
  bool halted = !r->halt_reason().empty() || (r->failed() > 0 && !r->continue_on_failure());
  if (halted && r->halt_reason().empty()) {
    r->set_halt_reason(absl::StrCat("host ", r->failed_hosts(0),
                                    " failed; no further hosts dispatched (--continue-on-failure "
                                    "to keep going)"));
  }
  while (!halted && r->running() < r->max_parallel() && run->next < r->host_ids_size()) {
    const std::string& host = r->host_ids(run->next++);
    if (r->command_ids().contains(host)) continue;
    if (!DispatchLocked(r, host, NewTimeOrderedId("c", clock_->Now()))) {
      halted = true;
      r->set_halt_reason(absl::StrCat("storing the command for ", host, " failed"));
    }
  }
  const bool all_dispatched = r->command_ids_size() == r->host_ids_size();
  if (r->running() > 0 || !(halted || all_dispatched)) return;
  // Succeeded only when every host got the playbook and none failed.
  SetState(r, !all_dispatched    ? RolloutState::kHalted
              : r->failed() == 0 ? RolloutState::kSucceeded
                                 : RolloutState::kFailed);
  r->set_finished_ms(clock_->NowMs());
  std::string failed_names = absl::StrJoin(r->failed_hosts(), ", ");
  if (r->failed() > static_cast<uint32_t>(r->failed_hosts_size())) {
    absl::StrAppend(&failed_names, " and ", r->failed() - r->failed_hosts_size(), " more");
  }
  rollguard::v1::AuditRecord audit;
  audit.set_at_ms(r->finished_ms());
  audit.set_actor(r->requested_by());
  audit.set_action("rollout");
  audit.set_playbook(r->playbook());
  audit.set_rollout_id(r->id());
  audit.set_outcome(absl::StrCat(r->state(), ": ", r->succeeded(), " of ", r->host_ids_size(),
                                 " host(s) succeeded",
                                 r->failed() > 0 ? ", failed: " + failed_names : ""));
  audit_->Record(audit);
  Save(*r);
}

void RolloutManager::Save(const Rollout& r) {
  if (absl::Status s = records_->Put(Table::kRollouts, r.id(), r.SerializeAsString()); !s.ok()) {
    spdlog::error("rollout {}: storing it: {}", r.id(), s.ToString());
  }
}

void RolloutManager::OnCommandFinished(const rollguard::v1::CommandRecord& record) {
  const std::string& id = record.command().rollout_id();
  if (id.empty()) return;
  MutexLock lock(&mu_);
  auto it = running_.find(id);
  if (it == running_.end()) return;
  Running& run = it->second;
  auto host = run.rollout.command_ids().find(record.host_id());
  if (host == run.rollout.command_ids().end() || host->second != record.command().id()) return;
  // A guess (EXPIRED, LOST) is announced after it is stored; the agent's
  // real answer may have replaced it in between (its correction found no
  // failure counted yet and was dropped): count what the command says now.
  rollguard::v1::CommandRecord current = record;
  if (record.state() == rollguard::v1::EXPIRED || record.state() == rollguard::v1::LOST) {
    if (auto now = commands_->Get(record.command().id()); now.ok()) current = *std::move(now);
  }
  CountFinished(&run, current);
  DriveLocked(&run);
  if (StateOf(run.rollout) != RolloutState::kRunning) running_.erase(it);
}

void RolloutManager::CorrectCounts(Rollout* r, const std::string& host) {
  if (r->failed() > 0) r->set_failed(r->failed() - 1);
  r->set_succeeded(r->succeeded() + 1);
  auto* names = r->mutable_failed_hosts();
  for (auto it = names->begin(); it != names->end(); ++it) {
    if (*it == host) {
      names->erase(it);
      break;
    }
  }
}

void RolloutManager::OnCommandCorrected(const rollguard::v1::CommandRecord& record,
                                        rollguard::v1::CommandState replaced) {
  const std::string& id = record.command().rollout_id();
  // Counted as failed before (any guess), as succeeded now: the only change
  // a count sees (EXPIRED -> FAILED is a failure either way).
  if (id.empty() || record.state() != rollguard::v1::SUCCEEDED) return;
  MutexLock lock(&mu_);
  const auto is_this_command = [&](const Rollout& r) {
    auto host = r.command_ids().find(record.host_id());
    return host != r.command_ids().end() && host->second == record.command().id();
  };
  if (auto it = running_.find(id); it != running_.end()) {
    if (!is_this_command(it->second.rollout)) return;
    // Not counted failed yet (the guess is still being announced): its
    // announcement will count the answer instead.
    if (it->second.counted_failed.erase(record.host_id()) == 0) return;
    CorrectCounts(&it->second.rollout, record.host_id());
    Save(it->second.rollout);
    return;
  }
  absl::StatusOr<std::optional<Rollout>> stored =
      GetMessage<Rollout>(*records_, Table::kRollouts, id);
  if (!stored.ok() || !*stored || !is_this_command(**stored)) return;
  CorrectCounts(&**stored, record.host_id());
  Save(**stored);
  spdlog::info("rollout {}: {} answered late ({} replaced by SUCCEEDED); counts corrected", id,
               record.host_id(), rollguard::v1::CommandState_Name(replaced));
}

size_t RolloutManager::RunningCount() const {
  MutexLock lock(&mu_);
  return running_.size();
}

absl::StatusOr<rollguard::v1::RolloutStatus> RolloutManager::Get(const std::string& id,
                                                                 bool summary) const {
  rollguard::v1::RolloutStatus status;
  bool found = false;
  {
    MutexLock lock(&mu_);
    if (auto it = running_.find(id); it != running_.end()) {
      Rollout& r = it->second.rollout;
      if (summary) {
        // Copy all but the two big fields, without copying them (O(1) swaps).
        google::protobuf::RepeatedPtrField<std::string> hosts;
        google::protobuf::Map<std::string, std::string> ids;
        hosts.Swap(r.mutable_host_ids());
        ids.swap(*r.mutable_command_ids());
        *status.mutable_rollout() = r;
        hosts.Swap(r.mutable_host_ids());
        ids.swap(*r.mutable_command_ids());
        return status;
      }
      *status.mutable_rollout() = r;
      found = true;
    }
  }
  if (!found) {
    ASSIGN_OR_RETURN(std::optional<Rollout> stored,
                     GetMessage<Rollout>(*records_, Table::kRollouts, id));
    if (!stored) return absl::NotFoundError(absl::StrCat("no rollout '", id, "'"));
    *status.mutable_rollout() = std::move(*stored);
    if (summary) {
      status.mutable_rollout()->clear_host_ids();
      status.mutable_rollout()->clear_command_ids();
      return status;
    }
  }
  for (const std::string& host : status.rollout().host_ids()) {
    auto it = status.rollout().command_ids().find(host);
    if (it == status.rollout().command_ids().end()) continue;
    auto rec = commands_->Get(it->second);
    if (rec.ok()) *status.add_commands() = std::move(*rec);
  }
  return status;
}

std::string RolloutHostKey(absl::string_view rollout_id, absl::string_view host_id) {
  return absl::StrCat(rollout_id, absl::string_view("\0", 1), host_id);
}

std::string RolloutHostsEnd(absl::string_view rollout_id) {
  return absl::StrCat(rollout_id, absl::string_view("\1", 1));
}

}  // namespace rollguard::collector
