#include "collector/commands/command_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <random>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collector/storage/record_messages.h"
#include "common/duration.h"
#include "common/grpc_status.h"
#include "common/mutex.h"
#include "common/status_macros.h"

namespace rollguard::collector {

using rollguard::v1::Command;
using rollguard::v1::CommandRecord;
using rollguard::v1::CommandState;
using rollguard::v1::CommandUpdate;

namespace {

std::string Lowercase(CommandState state) {
  std::string s = rollguard::v1::CommandState_Name(state);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Merges the agent's step reports by index, within the record's bounds: an
// index outside [1, kMaxCommandSteps] is dropped, long text is cut.
void MergeSteps(const CommandUpdate& update, CommandRecord* rec) {
  for (const auto& reported : update.steps()) {
    if (reported.index() < 1 || reported.index() > kMaxCommandSteps) continue;
    rollguard::v1::StepStatus step = reported;
    if (step.output().size() > kMaxStepOutput) {
      step.set_output(absl::StrCat(step.output().substr(0, kMaxStepOutput), "... (cut)"));
    }
    if (step.name().size() > kMaxStepName) step.set_name(step.name().substr(0, kMaxStepName));
    auto* steps = rec->mutable_steps();
    auto it = std::find_if(steps->begin(), steps->end(),
                           [&](const auto& s) { return s.index() == step.index(); });
    if (it != steps->end()) {
      *it = std::move(step);
    } else {
      *steps->Add() = std::move(step);
    }
  }
  std::sort(rec->mutable_steps()->begin(), rec->mutable_steps()->end(),
            [](const auto& a, const auto& b) { return a.index() < b.index(); });
}

}  // namespace

std::string NewTimeOrderedId(absl::string_view prefix, absl::Time now) {
  // Seeded from the OS per thread with 128 bits; ids only need to be unique.
  static thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seed{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seed);
  }();
  return absl::StrCat(prefix, "-", absl::FormatTime("%Y%m%d-%H%M%S", now, absl::UTCTimeZone()), "-",
                      absl::StrFormat("%016x", rng()));
}

CommandManager::CommandManager(RecordStore* records, AuditLog* audit, const Clock* clock,
                               absl::Duration lost_after)
    : records_(records), audit_(audit), clock_(clock), lost_after_(lost_after) {}

absl::Status CommandManager::Load() {
  MutexLock lock(&mu_);
  // A store from before the host index: build it in this same scan, and
  // mark it built only once the whole scan went in (an interrupted build is
  // simply done again; its writes are idempotent). The marker key starts
  // with a control character, which no host id may: no listing meets it.
  static constexpr absl::string_view kIndexBuilt = "\x01built";
  bool indexed = false;
  RETURN_IF_ERROR(records_->Scan(Table::kCommandsByHost, kIndexBuilt,
                                 absl::StrCat(kIndexBuilt, "\x01"),
                                 [&](absl::string_view, absl::string_view) {
                                   indexed = true;
                                   return false;
                                 }));
  size_t bad = 0;
  absl::Status index_status = absl::OkStatus();
  absl::Status s = ScanMessages<CommandRecord>(
      *records_, Table::kCommands, "", "",
      [&](CommandRecord&& r) {
        mu_.AssertHeld();  // called here, under the lock
        if (!indexed) {
          index_status.Update(records_->Put(Table::kCommandsByHost,
                                            CommandByHostKey(r.host_id(), r.command().id()), ""));
        }
        if (!IsFinal(r.state())) OpenLocked(std::move(r));
        return true;
      },
      &bad);
  RETURN_IF_ERROR(index_status);
  if (!indexed && s.ok()) RETURN_IF_ERROR(records_->Put(Table::kCommandsByHost, kIndexBuilt, ""));
  if (bad > 0) spdlog::error("{} stored command record(s) do not parse; skipped", bad);
  if (!open_.empty()) spdlog::info("{} unfinished command(s) loaded", open_.size());
  // Nobody is connected yet: every host with a command running counts as
  // gone from now, so lost_after starts here and not at the command's last
  // update (which may be older than lost_after after a long outage).
  const int64_t now = clock_->NowMs();
  for (const auto& [id, rec] : open_) {
    if (rec.state() == rollguard::v1::RUNNING) gone_since_ms_.emplace(rec.host_id(), now);
  }
  return s;
}

absl::Status CommandManager::Reload() {
  {
    MutexLock lock(&mu_);
    open_.clear();
    open_by_host_.clear();
    unsaved_.clear();
    gone_since_ms_.clear();
    drill_ended_ms_.clear();
  }
  RETURN_IF_ERROR(Load());
  MutexLock lock(&mu_);
  for (const auto& [host, link] : links_) gone_since_ms_.erase(host);  // connected here
  return absl::OkStatus();
}

void CommandManager::SaveProgressLocked() {
  for (const std::string& id : unsaved_) {
    auto it = open_.find(id);
    if (it == open_.end()) continue;
    if (absl::Status s = PersistLocked(it->second); !s.ok()) {
      spdlog::error("command {}: storing its progress: {}", id, s.ToString());
    }
  }
  unsaved_.clear();
}

CommandRecord& CommandManager::OpenLocked(CommandRecord record) {
  open_by_host_[record.host_id()].insert(record.command().id());
  std::string id = record.command().id();
  return open_[id] = std::move(record);
}

void CommandManager::CloseLocked(const std::string& id) {
  auto it = open_.find(id);
  if (it == open_.end()) return;
  auto mine = open_by_host_.find(it->second.host_id());
  if (mine != open_by_host_.end()) {
    mine->second.erase(id);
    if (mine->second.empty()) open_by_host_.erase(mine);
  }
  open_.erase(it);
}

absl::Status CommandManager::PersistLocked(const CommandRecord& record) {
  return records_->Put(Table::kCommands, record.command().id(), record.SerializeAsString());
}

void CommandManager::DeliverLocked(CommandRecord* record, AgentLink* link) {
  // Asked right before sending: a member that stopped leading sends nothing
  // more (and what it sent just before is fenced by the epoch on it).
  if (!leadership_->Acting()) return;
  record->mutable_command()->set_leader_epoch(static_cast<uint64_t>(leadership_->Epoch()));
  link->SendCommand(record->command());
  record->set_deliveries(record->deliveries() + 1);
  if (record->state() == rollguard::v1::QUEUED) {
    record->set_state(rollguard::v1::SENT);
    record->set_sent_ms(clock_->NowMs());
  }
  record->set_updated_ms(clock_->NowMs());
  if (absl::Status s = PersistLocked(*record); !s.ok()) {
    spdlog::error("command {}: storing its delivery: {}", record->command().id(), s.ToString());
  }
}

absl::StatusOr<CommandRecord> CommandManager::Submit(Command command, const std::string& host_id,
                                                     absl::Duration queue_for) {
  if (command.playbook().empty() && command.undo_of().empty()) {
    return absl::InvalidArgumentError("a command needs a playbook (or a command to undo)");
  }
  if (host_id.empty()) return absl::InvalidArgumentError("a command needs a host");
  if (!leadership_->Acting() && !promoting_) {
    std::string hint = leadership_->LeaderHint();
    return absl::FailedPreconditionError(
        absl::StrCat(kNotLeaderPrefix, ": commands are stored and sent by the leader only",
                     hint.empty() ? "" : absl::StrCat("; the leader is ", hint)));
  }
  absl::Time now = clock_->Now();
  if (command.id().empty()) command.set_id(NewTimeOrderedId("c", now));
  command.set_created_ms(absl::ToUnixMillis(now));
  command.set_deadline_ms(absl::ToUnixMillis(now + queue_for));
  CommandRecord rec;
  rec.set_host_id(host_id);
  rec.set_state(rollguard::v1::QUEUED);
  rec.set_updated_ms(command.created_ms());
  *rec.mutable_command() = std::move(command);

  rollguard::v1::AuditRecord audit;
  audit.set_at_ms(rec.command().created_ms());
  audit.set_actor(rec.command().requested_by());
  audit.set_action(rec.command().undo_of().empty() ? (rec.command().drill() ? "drill" : "command")
                                                   : "undo");
  audit.set_host_id(host_id);
  audit.set_command_id(rec.command().id());
  audit.set_playbook(rec.command().undo_of().empty() ? rec.command().playbook()
                                                     : "undo " + rec.command().undo_of());
  audit.set_reason(rec.command().reason());
  audit.set_rollout_id(rec.command().rollout_id());
  audit.set_outcome(rec.command().dry_run() ? "requested (dry run)" : "requested");

  MutexLock lock(&mu_);
  // Asked again under the lock (it may have waited on a long Tick): a member
  // that stopped leading meanwhile would store this locally only, and
  // nobody would ever send it.
  if (!leadership_->Acting() && !promoting_) {
    return absl::FailedPreconditionError(
        absl::StrCat(kNotLeaderPrefix, ": this collector stopped leading; nothing was stored"));
  }
  // Indexed, then stored, then sent: a crash after sending cannot lose it,
  // and a stored command is always in its host's listing.
  if (absl::Status s =
          records_->Put(Table::kCommandsByHost, CommandByHostKey(host_id, rec.command().id()), "");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = PersistLocked(rec); !s.ok()) return s;
  audit_->Record(audit);
  CommandRecord& stored = OpenLocked(std::move(rec));
  if (auto it = links_.find(host_id); it != links_.end()) DeliverLocked(&stored, it->second);
  return stored;
}

void CommandManager::OnAgentConnected(const std::string& host_id,
                                      const std::vector<std::string>& playbooks, AgentLink* link) {
  MutexLock lock(&mu_);
  links_[host_id] = link;
  playbooks_[host_id] = playbooks;
  gone_since_ms_.erase(host_id);
  int64_t now = clock_->NowMs();
  // Only this host's open commands (an index, not a scan of every host's:
  // 10,000 hellos after a restart must not cost 10,000 x open commands).
  auto mine = open_by_host_.find(host_id);
  if (mine == open_by_host_.end()) return;
  for (const std::string& id : mine->second) {
    CommandRecord& rec = open_.at(id);
    bool waiting = rec.state() == rollguard::v1::QUEUED || rec.state() == rollguard::v1::SENT;
    if (waiting && rec.command().deadline_ms() < now) continue;  // Tick expires it
    spdlog::info("host '{}' connected: {} command {}", host_id,
                 rec.deliveries() == 0 ? "sending queued" : "offering again", id);
    DeliverLocked(&rec, link);
  }
}

void CommandManager::OnLeadershipGained() {
  MutexLock lock(&mu_);
  const int64_t now = clock_->NowMs();
  for (const auto& [host_id, link] : links_) {
    auto mine = open_by_host_.find(host_id);
    if (mine == open_by_host_.end()) continue;
    for (const std::string& id : mine->second) {
      CommandRecord& rec = open_.at(id);
      bool waiting = rec.state() == rollguard::v1::QUEUED || rec.state() == rollguard::v1::SENT;
      if (waiting && rec.command().deadline_ms() < now) continue;  // Tick expires it
      DeliverLocked(&rec, link);
    }
  }
}

void CommandManager::OnAgentDisconnected(const std::string& host_id, AgentLink* link) {
  MutexLock lock(&mu_);
  // A newer stream of the same host may already have replaced this one.
  if (auto it = links_.find(host_id); it != links_.end() && it->second == link) {
    links_.erase(it);
    gone_since_ms_[host_id] = clock_->NowMs();
  }
}

void CommandManager::OnUpdate(const std::string& host_id, const CommandUpdate& update) {
  CommandRecord rec;
  bool finished_now = false;
  bool was_final = false;
  rollguard::v1::CommandState state_before = rollguard::v1::COMMAND_STATE_UNSPECIFIED;
  bool stored = true;
  {
    MutexLock lock(&mu_);
    if (auto it = open_.find(update.command_id()); it != open_.end()) {
      rec = it->second;
    } else {
      auto stored = GetMessage<CommandRecord>(*records_, Table::kCommands, update.command_id());
      if (!stored.ok() || !*stored) {
        // A follower hears of every command the leader runs (agents report
        // to both): not worth a warning each.
        if (leadership_->Acting()) {
          spdlog::warn("host '{}' reported on unknown command '{}'; ignored", host_id,
                       update.command_id());
        }
        return;
      }
      rec = std::move(**stored);
    }
    if (rec.host_id() != host_id) {
      spdlog::warn("host '{}' reported on command {} of host '{}'; ignored", host_id,
                   update.command_id(), rec.host_id());
      return;
    }
    was_final = IsFinal(rec.state());
    // The agent's own final answer replaces an outcome guessed here.
    const bool guessed =
        rec.state() == rollguard::v1::EXPIRED || rec.state() == rollguard::v1::LOST;
    const bool answers_guess = guessed && IsFinal(update.state()) &&
                               update.state() != rollguard::v1::EXPIRED &&
                               update.state() != rollguard::v1::LOST;
    if (was_final && !answers_guess) {
      // A finished command is history: a late or forged update changes nothing.
      spdlog::warn("host '{}' reported on command {}, already {}; ignored", host_id,
                   update.command_id(), rollguard::v1::CommandState_Name(rec.state()));
      return;
    }
    state_before = rec.state();
    MergeSteps(update, &rec);
    int64_t now = clock_->NowMs();
    if (IsFinal(update.state())) {
      finished_now = true;
      rec.set_state(update.state());
      rec.set_error(update.error());
      rec.set_duration_ms(update.duration_ms());
      rec.set_finished_ms(now);
      if (rec.started_ms() == 0) rec.set_started_ms(now);
    } else if (update.state() == rollguard::v1::RUNNING) {
      rec.set_state(rollguard::v1::RUNNING);
      if (rec.started_ms() == 0) rec.set_started_ms(now);
    }
    rec.set_updated_ms(now);
    if (IsFinal(rec.state()) || state_before != rec.state()) {
      // A new state is stored before anything acts on it (RUNNING too: after
      // a restart, a command still SENT in the store would expire).
      if (absl::Status s = PersistLocked(rec); !s.ok()) {
        spdlog::error("command {}: storing an update: {}", rec.command().id(), s.ToString());
        stored = false;
      }
      unsaved_.erase(rec.command().id());
    } else {
      // Step progress within a state is kept in memory and stored by Tick, once a second
      // for all commands together: a 1,000-host rollout sends ~15 updates a
      // host, and a write each held this lock on gRPC's threads. A crash
      // loses at most a second of progress, never an outcome (the agent's
      // final update carries every step).
      unsaved_.insert(rec.command().id());
    }
    if (IsFinal(rec.state())) {
      if (rec.command().drill()) drill_ended_ms_[host_id] = now;
      CloseLocked(rec.command().id());
    } else {
      OpenLocked(rec);
    }
  }
  // A follower keeps its copy of the record up to date (agents send their
  // progress to every collector), but only the leader audits an outcome and
  // drives rollouts and incidents on it: a member that led and stepped down
  // must not halt its stale copy of a rollout for want of the leadership.
  if (finished_now && !leadership_->Acting() && !promoting_) return;
  if (finished_now) {
    AuditOutcome(rec);
    // Listeners (rollouts, automation) hear a command finish once: a late
    // answer replacing a guessed EXPIRED or LOST is recorded and audited,
    // but does not escalate or drive a rollout a second time; outcome counts
    // (a rollout's succeeded/failed) are corrected.
    if (!was_final) {
      NotifyFinished(rec);
    } else if (stored) {  // not stored: the guess stands, a resent answer comes here again
      std::vector<OnCorrected> listeners;
      {
        MutexLock lock(&listeners_mu_);
        listeners = correction_listeners_;
      }
      for (const auto& l : listeners) l(rec, state_before);
    }
  }
}

void CommandManager::Tick() {
  std::vector<CommandRecord> expired;
  {
    MutexLock lock(&mu_);
    SaveProgressLocked();
    int64_t now = clock_->NowMs();
    // Expired and lost are the leader's verdicts: a follower's view of the
    // agents is its own, not the one that dispatched.
    const bool acting = leadership_->Acting();
    for (auto it = open_.begin(); acting && it != open_.end();) {
      CommandRecord& rec = it->second;
      bool waiting = rec.state() == rollguard::v1::QUEUED || rec.state() == rollguard::v1::SENT;
      // Lost: its host has been gone lost_after, counted from when it went
      // (a long quiet step before that does not count) or from the last news
      // of the command, whichever is later.
      bool lost = false;
      if (rec.state() == rollguard::v1::RUNNING && !links_.contains(rec.host_id())) {
        int64_t since = rec.updated_ms();
        if (auto g = gone_since_ms_.find(rec.host_id()); g != gone_since_ms_.end()) {
          since = std::max(since, g->second);
        }
        lost = now - since > absl::ToInt64Milliseconds(lost_after_);
      }
      if (!lost && (!waiting || rec.command().deadline_ms() >= now)) {
        ++it;
        continue;
      }
      if (lost) {
        rec.set_state(rollguard::v1::LOST);
        rec.set_error(absl::StrCat(
            "host '", rec.host_id(), "' went away while it ran and was not back within ",
            FormatDurationShort(lost_after_), ": outcome unknown (check the host; `rollguard undo ",
            rec.command().id(), "` puts its files back)"));
      } else {
        rec.set_state(rollguard::v1::EXPIRED);
        rec.set_error("the agent did not take it before its deadline (host offline?)");
      }
      rec.set_finished_ms(now);
      rec.set_updated_ms(now);
      if (absl::Status s = PersistLocked(rec); !s.ok()) {
        spdlog::error("command {}: storing its expiry: {}", rec.command().id(), s.ToString());
      }
      expired.push_back(rec);  // a copy: CloseLocked reads its host
      const std::string id = it->first;
      ++it;
      CloseLocked(id);
    }
  }
  // Forget when hosts left once none of their commands is open (the map
  // stays as small as the hosts with open commands).
  {
    MutexLock lock(&mu_);
    for (auto it = gone_since_ms_.begin(); it != gone_since_ms_.end();) {
      it = open_by_host_.contains(it->first) ? std::next(it) : gone_since_ms_.erase(it);
    }
  }
  for (const CommandRecord& rec : expired) {
    AuditOutcome(rec);
    NotifyFinished(rec);
  }
}

void CommandManager::AuditOutcome(const CommandRecord& rec) {
  rollguard::v1::AuditRecord audit;
  audit.set_at_ms(rec.finished_ms());
  audit.set_actor(rec.command().requested_by());
  audit.set_action(rec.command().undo_of().empty() ? (rec.command().drill() ? "drill" : "command")
                                                   : "undo");
  audit.set_host_id(rec.host_id());
  audit.set_command_id(rec.command().id());
  audit.set_playbook(rec.command().undo_of().empty() ? rec.command().playbook()
                                                     : "undo " + rec.command().undo_of());
  audit.set_reason(rec.command().reason());
  audit.set_rollout_id(rec.command().rollout_id());
  audit.set_outcome(rec.error().empty() ? Lowercase(rec.state())
                                        : absl::StrCat(Lowercase(rec.state()), ": ", rec.error()));
  audit_->Record(audit);
}

void CommandManager::AddListener(OnFinished listener) {
  MutexLock lock(&listeners_mu_);
  listeners_.push_back(std::move(listener));
}

void CommandManager::AddCorrectionListener(OnCorrected listener) {
  MutexLock lock(&listeners_mu_);
  correction_listeners_.push_back(std::move(listener));
}

void CommandManager::NotifyFinished(const CommandRecord& rec) {
  std::vector<OnFinished> listeners;
  {
    MutexLock lock(&listeners_mu_);
    listeners = listeners_;
  }
  for (const auto& l : listeners) l(rec);
}

absl::StatusOr<CommandRecord> CommandManager::Get(const std::string& id) const {
  {
    MutexLock lock(&mu_);
    if (auto it = open_.find(id); it != open_.end()) return it->second;
  }
  auto stored = GetMessage<CommandRecord>(*records_, Table::kCommands, id);
  if (!stored.ok()) return stored.status();
  if (!*stored) return absl::NotFoundError(absl::StrCat("no command '", id, "'"));
  return std::move(**stored);
}

std::string CommandIdAt(int64_t ms) {
  return absl::StrCat(
      "c-", absl::FormatTime("%Y%m%d-%H%M%S", absl::FromUnixMillis(ms), absl::UTCTimeZone()));
}

std::string CommandByHostKey(absl::string_view host_id, absl::string_view command_id) {
  return absl::StrCat(host_id, absl::string_view("\0", 1), command_id);
}

absl::StatusOr<CommandManager::Page> CommandManager::List(const std::string& host_id,
                                                          int64_t since_ms, uint32_t limit,
                                                          const std::string& before_id) const {
  // The ids in range, newest `limit` kept: by time from the id itself, by
  // host from the index.
  const std::string from = since_ms > 0 ? CommandIdAt(since_ms) : "";
  std::deque<std::string> ids;
  bool more = false;
  auto keep = [&](std::string id) {
    ids.push_back(std::move(id));
    if (limit > 0 && ids.size() > limit) {
      ids.pop_front();
      more = true;
    }
  };
  absl::Status s;
  if (host_id.empty()) {
    s = records_->Scan(Table::kCommands, from, before_id,
                       [&](absl::string_view key, absl::string_view) {
                         keep(std::string(key));
                         return true;
                       });
  } else {
    const std::string prefix = CommandByHostKey(host_id, "");
    const std::string end = before_id.empty() ? absl::StrCat(host_id, absl::string_view("\1", 1))
                                              : CommandByHostKey(host_id, before_id);
    s = records_->Scan(Table::kCommandsByHost, prefix + from, end,
                       [&](absl::string_view key, absl::string_view) {
                         keep(std::string(key.substr(prefix.size())));
                         return true;
                       });
  }
  RETURN_IF_ERROR(s);
  Page page;
  for (const std::string& id : ids) {
    absl::StatusOr<CommandRecord> rec = Get(id);
    if (absl::IsNotFound(rec.status())) continue;  // pruned since the index was read
    RETURN_IF_ERROR(rec.status());
    if (rec->command().created_ms() < since_ms) continue;  // ids have second resolution
    page.commands.push_back(*std::move(rec));
  }
  if (more && !ids.empty()) page.next_before_id = ids.front();
  return page;
}

std::vector<std::string> CommandManager::PlaybooksOf(const std::string& host_id) const {
  MutexLock lock(&mu_);
  auto it = playbooks_.find(host_id);
  return it == playbooks_.end() ? std::vector<std::string>{} : it->second;
}

bool CommandManager::DrillActive(const std::string& host_id, absl::Duration grace) const {
  MutexLock lock(&mu_);
  if (auto mine = open_by_host_.find(host_id); mine != open_by_host_.end()) {
    for (const std::string& id : mine->second) {
      if (open_.at(id).command().drill()) return true;
    }
  }
  auto it = drill_ended_ms_.find(host_id);
  return it != drill_ended_ms_.end() &&
         clock_->NowMs() - it->second < absl::ToInt64Milliseconds(grace);
}

std::map<std::string, int> CommandManager::OpenByState() const {
  MutexLock lock(&mu_);
  std::map<std::string, int> out;
  for (const auto& [id, record] : open_) ++out[rollguard::v1::CommandState_Name(record.state())];
  return out;
}

bool CommandManager::Connected(const std::string& host_id) const {
  MutexLock lock(&mu_);
  return links_.count(host_id) > 0;
}

}  // namespace rollguard::collector
