#include "collector/automation/remediator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collector/storage/record_messages.h"
#include "common/duration.h"
#include "common/mutex.h"
#include "common/number_format.h"
#include "common/record_states.h"
#include "common/status_macros.h"

namespace rollguard::collector {

using rollguard::v1::Incident;

namespace {

// Alerts a drill causes (the bot stopped on purpose) open no incident while
// the drill runs, nor this long after it.
constexpr absl::Duration kDrillGrace = absl::Seconds(60);

// A playbook of this incident is running: it holds a rollback slot and the
// incident cannot close under it.
bool Busy(const rollguard::v1::Incident& inc) {
  IncidentState s = StateOf(inc);
  return s == IncidentState::kRemediating || s == IncidentState::kVerifying;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string TimeOfDay(int64_t ms) {
  return absl::FormatTime("%H:%M:%S", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

}  // namespace

const char* AutomationModeName(AutomationMode m) {
  switch (m) {
    case AutomationMode::kOff:
      return "off";
    case AutomationMode::kConfirm:
      return "confirm";
    case AutomationMode::kAuto:
      return "auto";
  }
  return "?";
}

Remediator::Remediator(AutomationOptions options, Storage* storage, CommandManager* commands,
                       const HostRegistry* registry, AuditLog* audit, const Clock* clock,
                       Escalate escalate)
    : options_(std::move(options)),
      storage_(storage),
      commands_(commands),
      registry_(registry),
      audit_(audit),
      clock_(clock),
      escalate_(std::move(escalate)) {}

absl::Status Remediator::Load() {
  commands_->AddListener([this](const rollguard::v1::CommandRecord& r) { OnCommandFinished(r); });
  return LoadIncidents();
}

absl::Status Remediator::Reload() {
  {
    MutexLock lock(&mu_);
    open_.clear();
    last_dispatch_ms_.clear();
  }
  return LoadIncidents();
}

absl::Status Remediator::LoadIncidents() {
  MutexLock lock(&mu_);
  return ScanMessages<Incident>(storage_->records(), Table::kIncidents, "", "",
                                [&](Incident&& inc) {
                                  mu_.AssertHeld();  // called here, under the lock
                                  if (!inc.command_ids().empty()) {
                                    last_dispatch_ms_[inc.host_id()] =
                                        std::max(last_dispatch_ms_[inc.host_id()], inc.opened_ms());
                                  }
                                  if (inc.closed_ms() == 0) open_[inc.id()] = std::move(inc);
                                  return true;
                                });
}

std::string Remediator::PlaybookFor(const rollguard::v1::Alert& alert) const {
  if (!alert.playbook().empty()) return alert.playbook();
  auto it = options_.severity_playbooks.find(alert.severity());
  return it == options_.severity_playbooks.end() ? "" : it->second;
}

void Remediator::AuditDecision(const Incident& inc, const std::string& outcome) {
  rollguard::v1::AuditRecord a;
  a.set_at_ms(clock_->NowMs());
  a.set_actor("rule:" + inc.rule());
  a.set_action("incident " + inc.id());
  a.set_host_id(inc.host_id());
  a.set_playbook(inc.playbook());
  a.set_reason(inc.summary());
  a.set_outcome(outcome);
  if (!inc.command_ids().empty()) a.set_command_id(inc.command_ids(inc.command_ids_size() - 1));
  audit_->Record(a);
}

void Remediator::NoteLocked(Incident* inc, const std::string& what) {
  auto* e = inc->add_timeline();
  e->set_at_ms(clock_->NowMs());
  e->set_what(what);
  spdlog::info("incident {} on {}: {}", inc->id(), inc->host_id(), what);
}

void Remediator::SaveLocked(const Incident& inc) {
  if (absl::Status s =
          storage_->records().Put(Table::kIncidents, inc.id(), inc.SerializeAsString());
      !s.ok()) {
    spdlog::error("incident {}: storing it: {}", inc.id(), s.ToString());
  }
}

size_t Remediator::OpenCount() const {
  MutexLock lock(&mu_);
  return open_.size();
}

int Remediator::ActiveLocked() const {
  int n = 0;
  for (const auto& [id, inc] : open_) {
    bool running = Busy(inc);
    // A rollback that did not work holds the line until someone looks.
    bool failed = StateOf(inc) == IncidentState::kEscalated && !inc.command_ids().empty() &&
                  !inc.verified() && inc.acked_by().empty();
    n += running || failed;
  }
  return n;
}

void Remediator::OnAlertChange(const AlertChange& change) {
  const auto& a = change.alert;
  const bool fired =
      change.to_state == AlertState::kFiring && change.from_state != AlertState::kFiring;
  const bool resolved =
      change.from_state == AlertState::kFiring && change.to_state == AlertState::kResolved;
  if (!fired && !resolved) return;
  if (!leadership_->Acting()) return;
  MutexLock lock(&mu_);
  if (resolved) {
    for (auto it = open_.begin(); it != open_.end(); ++it) {
      Incident& inc = it->second;
      if (inc.alert_id() != a.id()) continue;
      inc.set_alert_resolved(true);
      NoteLocked(&inc, absl::StrCat("alert resolved (", change.reason, ")"));
      if (!Busy(inc) && (inc.verified() || inc.command_ids().empty() || !inc.acked_by().empty())) {
        CloseLocked(&inc, IncidentState::kResolved,
                    inc.verified() ? "verified and the alert resolved: closed"
                                   : "the alert resolved: closed");
      } else {
        SaveLocked(inc);
      }
      return;
    }
    return;
  }
  if (a.inhibited()) return;  // a higher severity of its family acts for it
  std::string playbook = PlaybookFor(a);
  if (playbook.empty()) return;
  Incident probe;
  probe.set_rule(a.rule());
  probe.set_host_id(a.host_id());
  probe.set_playbook(playbook);
  probe.set_summary(a.summary());
  if (options_.mode == AutomationMode::kOff) {
    AuditDecision(probe, "held back: automation is off");
    return;
  }
  if (commands_->DrillActive(a.host_id(), kDrillGrace)) {
    AuditDecision(probe, "held back: a drill is running on this host");
    return;
  }
  for (auto& [id, inc] : open_) {
    if (inc.host_id() != a.host_id()) continue;
    NoteLocked(&inc,
               absl::StrCat("also firing: ", a.rule(), " (", a.severity(), "): ", a.summary()));
    SaveLocked(inc);
    return;
  }
  OpenLocked(a, playbook);
}

void Remediator::OpenLocked(const rollguard::v1::Alert& a, const std::string& playbook) {
  int64_t now = clock_->NowMs();
  Incident inc;
  inc.set_id(NewTimeOrderedId("i", clock_->Now()));
  inc.set_host_id(a.host_id());
  inc.set_alert_id(a.id());
  inc.set_rule(a.rule());
  inc.set_severity(a.severity());
  inc.set_playbook(playbook);
  inc.set_level(1);
  inc.set_opened_ms(now);
  inc.set_level_since_ms(now);
  inc.set_summary(a.summary());
  inc.set_metric(a.metric());
  inc.set_threshold(a.threshold());
  inc.set_comparison(a.comparison());
  NoteLocked(&inc, absl::StrCat("alert ", a.rule(), " (", a.severity(), ") fired: ", a.summary()));

  // The circuit breaker: many hosts at once is a shared cause.
  triggered_ms_[a.host_id()] = now;
  const int64_t window = absl::ToInt64Milliseconds(options_.breaker_window);
  int recent = 0;
  for (const auto& [host, t] : triggered_ms_) recent += now - t < window;
  // Triggered hosts that are offline (host_offline) still count as present.
  size_t known = std::max<size_t>(
      {1, registry_->CountActive(options_.host_active_within), static_cast<size_t>(recent)});
  double share = 100.0 * recent / static_cast<double>(known);
  if (recent >= options_.breaker_min_hosts && share > options_.breaker_percent &&
      now - breaker_tripped_ms_ >= window) {
    breaker_tripped_ms_ = now;
    spdlog::warn("circuit breaker tripped: {} of {} hosts triggered within {}", recent, known,
                 FormatDurationShort(options_.breaker_window));
  }
  const bool tripped = breaker_tripped_ms_ > 0 && now - breaker_tripped_ms_ < window;
  auto last = last_dispatch_ms_.find(a.host_id());
  const bool cooling = last != last_dispatch_ms_.end() &&
                       now - last->second < absl::ToInt64Milliseconds(options_.host_cooloff);

  Incident& stored = open_[inc.id()] = std::move(inc);
  if (tripped) {
    SetState(&stored, IncidentState::kProposed);
    stored.set_held_reason(absl::StrFormat(
        "circuit breaker: %d of %d hosts triggered within %s (over %s%%): likely a shared cause; "
        "approve with `rollguard approve %s`",
        recent, static_cast<int>(known), FormatDurationShort(options_.breaker_window),
        FormatValue(options_.breaker_percent), stored.id()));
  } else if (cooling) {
    SetState(&stored, IncidentState::kHeld);
    stored.set_held_reason(absl::StrCat("host cool-off: rolled back automatically ",
                                        FormatDurationShort(absl::Milliseconds(now - last->second)),
                                        " ago (cool-off ",
                                        FormatDurationShort(options_.host_cooloff), ")"));
  } else if (options_.mode == AutomationMode::kConfirm) {
    SetState(&stored, IncidentState::kProposed);
    stored.set_held_reason(
        absl::StrCat("mode is confirm: approve with `rollguard approve ", stored.id(), "`"));
  } else if (ActiveLocked() >= options_.max_concurrent) {
    SetState(&stored, IncidentState::kQueued);
    stored.set_held_reason(absl::StrCat(ActiveLocked(),
                                        " automatic rollback(s) in progress (at most ",
                                        options_.max_concurrent, " at once)"));
  } else {
    DispatchLocked(&stored, playbook, "rule:" + stored.rule());
    SaveLocked(stored);
    return;
  }
  NoteLocked(&stored, absl::StrCat(playbook, " held back: ", stored.held_reason()));
  AuditDecision(stored, absl::StrCat(stored.state(), ": ", stored.held_reason()));
  if (tripped || cooling) {
    EscalateLocked(&stored, stored.held_reason());
  } else {
    SaveLocked(stored);
  }
}

bool Remediator::DispatchLocked(Incident* inc, const std::string& playbook,
                                const std::string& actor) {
  rollguard::v1::Command cmd;
  cmd.set_playbook(playbook);
  cmd.set_requested_by(actor);
  cmd.set_reason(absl::StrCat("incident ", inc->id(), ": ", inc->summary()));
  auto rec = commands_->Submit(std::move(cmd), inc->host_id(), options_.command_queue_for);
  if (!rec.ok()) {
    NoteLocked(inc, absl::StrCat("could not queue ", playbook, ": ", rec.status().message()));
    EscalateLocked(inc, "the rollback could not be queued");
    return false;
  }
  inc->add_command_ids(rec->command().id());
  const bool verify = playbook == options_.verify_playbook && playbook != inc->playbook();
  SetState(inc, verify ? IncidentState::kVerifying : IncidentState::kRemediating);
  inc->clear_held_reason();
  if (!verify) last_dispatch_ms_[inc->host_id()] = clock_->NowMs();
  NoteLocked(inc, absl::StrCat("dispatched ", playbook, " as command ", rec->command().id(), " (",
                               actor, ")"));
  AuditDecision(*inc, absl::StrCat("dispatched ", playbook));
  return true;
}

void Remediator::DispatchQueuedLocked() {
  const int64_t now = clock_->NowMs();
  if (breaker_tripped_ms_ > 0 &&
      now - breaker_tripped_ms_ < absl::ToInt64Milliseconds(options_.breaker_window)) {
    return;
  }
  while (ActiveLocked() < options_.max_concurrent) {
    Incident* next = nullptr;
    for (auto& [id, inc] : open_) {
      if (StateOf(inc) == IncidentState::kQueued &&
          (next == nullptr || inc.opened_ms() < next->opened_ms())) {
        next = &inc;
      }
    }
    if (next == nullptr) return;
    const bool sent = DispatchLocked(next, next->playbook(), "rule:" + next->rule());
    SaveLocked(*next);
    // Not dispatched (the store or etcd refused, or this member stopped
    // leading): the incident is unchanged and would be picked again at
    // once. Try again at the next tick, not in a loop.
    if (!sent) return;
  }
}

void Remediator::OnCommandFinished(const rollguard::v1::CommandRecord& rec) {
  MutexLock lock(&mu_);
  Incident* inc = nullptr;
  for (auto& [id, i] : open_) {
    if (Contains({i.command_ids().begin(), i.command_ids().end()}, rec.command().id())) inc = &i;
  }
  if (inc == nullptr) return;
  const std::string& pb = rec.command().playbook();
  const bool is_verify = pb == options_.verify_playbook && pb != inc->playbook();
  const double secs = static_cast<double>(rec.duration_ms()) / 1000;
  if (rec.state() == rollguard::v1::SUCCEEDED) {
    if (!is_verify) {
      NoteLocked(inc,
                 absl::StrFormat("%s succeeded in %.1fs (%d steps)", pb, secs, rec.steps_size()));
      if (Contains(commands_->PlaybooksOf(inc->host_id()), options_.verify_playbook) &&
          pb != options_.verify_playbook) {
        DispatchLocked(inc, options_.verify_playbook, "rule:" + inc->rule());
        SaveLocked(*inc);
        return;
      }
    }
    inc->set_verified(true);
    SetState(inc, IncidentState::kWatching);
    NoteLocked(inc, is_verify ? absl::StrFormat("verification passed (%.1fs)", secs)
                              : "verified by the playbook's own checks");
    AuditDecision(*inc, "verified");
    if (inc->alert_resolved()) {
      CloseLocked(inc, IncidentState::kResolved, "verified and the alert resolved: closed");
    } else {
      SaveLocked(*inc);
    }
    DispatchQueuedLocked();
    return;
  }
  std::string what = absl::StrCat(is_verify ? "verification" : pb, " ",
                                  rollguard::v1::CommandState_Name(rec.state()),
                                  rec.error().empty() ? "" : ": ", rec.error());
  SetState(inc, IncidentState::kEscalated);
  NoteLocked(inc, what);
  AuditDecision(*inc, what);
  EscalateLocked(inc, what);
}

void Remediator::EscalateLocked(Incident* inc, const std::string& why) {
  const int levels = static_cast<int>(options_.levels.size());
  if (static_cast<int>(inc->level()) >= levels) {
    NoteLocked(inc, absl::StrCat("at the top of the ladder (L", inc->level(), "): ", why));
    SaveLocked(*inc);
    return;
  }
  // The state stays: a held or proposed rollback can still be approved.
  inc->set_level(inc->level() + 1);
  inc->set_level_since_ms(clock_->NowMs());
  const EscalationLevel& level = options_.levels[inc->level() - 1];
  NoteLocked(inc, absl::StrCat("escalated to L", inc->level(), " (", level.name, "): ", why));
  AuditDecision(*inc, absl::StrCat("escalated to L", inc->level(), ": ", why));
  SaveLocked(*inc);
  if (escalate_) escalate_(*inc, level, Evidence(*inc));
}

void Remediator::CloseLocked(Incident* inc, IncidentState state, const std::string& why) {
  SetState(inc, state);
  inc->set_closed_ms(clock_->NowMs());
  NoteLocked(inc, why);
  AuditDecision(*inc, absl::StrCat(Name(state), ": ", why));
  SaveLocked(*inc);
  open_.erase(inc->id());
  DispatchQueuedLocked();
}

void Remediator::Tick() {
  if (!leadership_->Acting()) return;
  MutexLock lock(&mu_);
  const int64_t now = clock_->NowMs();
  std::vector<std::string> ids;
  for (const auto& [id, inc] : open_) ids.push_back(id);
  for (const std::string& id : ids) {
    auto it = open_.find(id);
    if (it == open_.end()) continue;
    Incident& inc = it->second;
    if (!inc.acked_by().empty()) continue;
    const auto& level = options_.levels[std::min<size_t>(inc.level(), options_.levels.size()) - 1];
    if (now - inc.level_since_ms() < absl::ToInt64Milliseconds(level.budget)) continue;
    if (inc.level() >= options_.levels.size()) continue;  // said so once already
    EscalateLocked(&inc,
                   absl::StrCat("L", inc.level(), " budget (", FormatDurationShort(level.budget),
                                ") ran out without a verified recovery"));
  }
  DispatchQueuedLocked();
}

absl::StatusOr<Incident> Remediator::Approve(const std::string& id, const std::string& by) {
  MutexLock lock(&mu_);
  auto it = open_.find(id);
  if (it == open_.end()) return absl::NotFoundError(absl::StrCat("no open incident '", id, "'"));
  Incident& inc = it->second;
  if (IncidentState st = StateOf(inc); st != IncidentState::kProposed &&
                                       st != IncidentState::kHeld && st != IncidentState::kQueued) {
    return absl::FailedPreconditionError(absl::StrCat("incident ", id, " is ", inc.state(),
                                                      "; only a proposed, held or queued "
                                                      "rollback can be approved"));
  }
  NoteLocked(&inc, absl::StrCat("approved by ", by));
  // The operator decides: the guardrails do not apply to an approval.
  DispatchLocked(&inc, inc.playbook(), by);
  SaveLocked(inc);
  return inc;
}

absl::StatusOr<Incident> Remediator::Ack(const std::string& id, const std::string& by,
                                         const std::string& comment) {
  MutexLock lock(&mu_);
  auto it = open_.find(id);
  if (it == open_.end()) return absl::NotFoundError(absl::StrCat("no open incident '", id, "'"));
  Incident& inc = it->second;
  inc.set_acked_by(by);
  inc.set_acked_ms(clock_->NowMs());
  NoteLocked(&inc, absl::StrCat("acknowledged by ", by, comment.empty() ? "" : ": ", comment,
                                " (escalation stopped)"));
  AuditDecision(inc, absl::StrCat("acknowledged by ", by));
  Incident result = inc;
  if (inc.alert_resolved() && !Busy(inc)) {
    CloseLocked(&inc, IncidentState::kResolved, "acknowledged after the alert resolved: closed");
    return result;
  }
  SaveLocked(inc);
  DispatchQueuedLocked();
  return inc;
}

absl::StatusOr<Incident> Remediator::Get(const std::string& id) const {
  {
    MutexLock lock(&mu_);
    if (auto it = open_.find(id); it != open_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(std::optional<Incident> found,
                   GetMessage<Incident>(storage_->records(), Table::kIncidents, id));
  if (!found) return absl::NotFoundError(absl::StrCat("no incident '", id, "'"));
  return std::move(*found);
}

absl::StatusOr<std::vector<Incident>> Remediator::List(bool all, int64_t since_ms,
                                                       const std::string& host_id) const {
  std::vector<Incident> out;
  if (!all) {
    MutexLock lock(&mu_);
    for (const auto& [id, inc] : open_) {
      if (host_id.empty() || inc.host_id() == host_id) out.push_back(inc);
    }
    return out;
  }
  // Ids sort by opening time, so the scan starts at `since`; incidents still
  // open from before it are in memory. (It used to read every incident kept.)
  std::map<std::string, Incident> by_id;
  const std::string from =
      since_ms > 0
          ? absl::StrCat("i-", absl::FormatTime("%Y%m%d-%H%M%S", absl::FromUnixMillis(since_ms),
                                                absl::UTCTimeZone()))
          : "";
  absl::Status s =
      ScanMessages<Incident>(storage_->records(), Table::kIncidents, from, "", [&](Incident&& inc) {
        if (inc.opened_ms() < since_ms && inc.closed_ms() != 0) return true;
        if (!host_id.empty() && inc.host_id() != host_id) return true;
        by_id.try_emplace(inc.id(), std::move(inc));
        return true;
      });
  if (!s.ok()) return s;
  {
    // After the scan, and over it: memory is the newer copy of an open one,
    // and one closed meanwhile is no longer here (its stored copy stands).
    MutexLock lock(&mu_);
    for (const auto& [id, inc] : open_) {
      if (host_id.empty() || inc.host_id() == host_id) by_id[id] = inc;
    }
  }
  for (auto& [id, inc] : by_id) out.push_back(std::move(inc));
  return out;
}

std::string Remediator::Evidence(const Incident& inc) const {
  const EscalationLevel& level = options_.levels[inc.level() - 1];
  std::string text = absl::StrFormat(
      "Incident %s on %s: %s (%s): %s\nLevel L%d (%s, budget %s). Playbook %s; state %s%s.\n",
      inc.id(), inc.host_id(), inc.rule(), inc.severity(), inc.summary(), inc.level(), level.name,
      FormatDurationShort(level.budget), inc.playbook(), inc.state(),
      inc.verified() ? ", verified" : "");
  // The metric around the fault: from a few minutes before it opened until now.
  if (!inc.metric().empty()) {
    for (const SeriesInfo& s : storage_->FindSeries(inc.metric(), {{"host", inc.host_id()}})) {
      auto points = storage_->Query(s.id, inc.opened_ms() - 5 * 60 * 1000, clock_->NowMs() + 1, 12);
      if (!points.ok() || points->empty()) continue;
      absl::StrAppend(&text, "\n", inc.metric(), " (threshold ", inc.comparison(), " ",
                      FormatValue(inc.threshold()), "), latest points:\n");
      for (const Point& p : *points) {
        absl::StrAppend(&text, "  ", TimeOfDay(p.timestamp_ms), "  ", FormatValue(p.value),
                        p.timestamp_ms < inc.opened_ms() ? "" : "  *", "\n");
      }
      break;
    }
  }
  for (const std::string& id : inc.command_ids()) {
    auto rec = commands_->Get(id);
    if (!rec.ok()) continue;
    absl::StrAppend(&text, "\nCommand ", id, " ", rec->command().playbook(), ": ",
                    rollguard::v1::CommandState_Name(rec->state()),
                    rec->error().empty() ? "" : " - ", rec->error(), "\n");
    for (const auto& step : rec->steps()) {
      absl::StrAppend(&text, "  ", step.index(), "/", step.total(), " ", step.status(), " ",
                      step.name(), " (", step.duration_ms(), "ms): ", step.output().substr(0, 200),
                      "\n");
    }
  }
  absl::StrAppend(&text, "\nTimeline:\n");
  for (const auto& e : inc.timeline()) {
    absl::StrAppend(&text, "  ", TimeOfDay(e.at_ms()), "  ", e.what(), "\n");
  }
  return text;
}

}  // namespace rollguard::collector
