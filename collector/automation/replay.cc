#include "collector/automation/replay.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "collector/automation/remediator.h"
#include "collector/commands/command_manager.h"
#include "collector/storage/rocksdb_storage.h"
#include "common/record_states.h"
#include "common/status_macros.h"

namespace rollguard::collector {

namespace {

// A scratch folder removed when the replay ends.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "rollguard-replay.XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

constexpr int64_t kTickEveryMs = 10'000;
// How often (in samples or ticks) a replay looks at its cancellation.
constexpr size_t kCheckEvery = 4096;

absl::Status Cancelled() {
  return absl::CancelledError("the replay was cancelled (the client went away or timed out)");
}

// Everything stored in [since, until) (of one host, if named), oldest first;
// counts series and samples into `out`.
absl::StatusOr<std::vector<StoredSample>> CollectSamples(const Storage& history,
                                                         const ReplayInput& in, int64_t until,
                                                         rollguard::v1::ReplayResponse* out) {
  Labels matchers;
  if (!in.host_id.empty()) matchers["host"] = in.host_id;
  std::vector<StoredSample> samples;
  for (const SeriesInfo& s : history.FindSeries("", matchers)) {
    if (in.cancelled()) return Cancelled();
    // At most one point past the budget, so memory never overshoots it.
    const size_t room = in.max_samples - samples.size() + 1;
    ASSIGN_OR_RETURN(std::vector<Point> points, history.Query(s.id, in.since_ms, until, room));
    out->set_series(out->series() + 1);
    for (const Point& p : points) samples.push_back({s.id, p.timestamp_ms, p.value});
    if (samples.size() > in.max_samples) {
      return absl::ResourceExhaustedError(
          absl::StrCat("more than ", in.max_samples,
                       " samples in range; replay a shorter --since or one --host"));
    }
  }
  std::stable_sort(samples.begin(), samples.end(),
                   [](const auto& a, const auto& b) { return a.timestamp_ms < b.timestamp_ms; });
  out->set_samples(samples.size());
  return samples;
}

// The replay's assumption: a host's rollback worked by the time its alert
// cleared, so its open commands succeed then (and free their slots).
void AssumeRollbackWorked(CommandManager* commands, const std::string& host) {
  auto open = commands->List(host, 0, 0);
  if (!open.ok()) return;
  for (const auto& rec : open->commands) {
    if (IsFinal(rec.state())) continue;
    rollguard::v1::CommandUpdate done;
    done.set_command_id(rec.command().id());
    done.set_state(rollguard::v1::SUCCEEDED);
    commands->OnUpdate(host, done);
  }
}

// What automation decided for one incident, and when it would have acted.
void DescribeDecision(const rollguard::v1::Incident& inc,
                      const std::map<std::string, int64_t>& resolved_at,
                      rollguard::v1::ReplayDecision* d) {
  d->set_at_ms(inc.opened_ms());
  d->set_host_id(inc.host_id());
  d->set_rule(inc.rule());
  d->set_severity(inc.severity());
  d->set_playbook(inc.playbook());
  d->set_summary(inc.summary());
  if (auto it = resolved_at.find(inc.alert_id());
      it != resolved_at.end() && it->second >= inc.opened_ms()) {
    d->set_resolved_ms(it->second);
  }
  if (inc.command_ids().empty()) {
    d->set_decision(inc.state());
    d->set_reason(inc.held_reason());
    return;
  }
  d->set_decision("dispatch");
  // When it would have left: a queued one waited for a slot.
  for (const auto& e : inc.timeline()) {
    if (e.what().rfind("dispatched ", 0) == 0) {
      d->set_at_ms(e.at_ms());
      break;
    }
  }
  for (const auto& e : inc.timeline()) {
    if (e.what().find("held back: ") != std::string::npos) {
      d->set_reason(e.what().substr(e.what().find("held back: ") + 11));
      break;
    }
  }
}

}  // namespace

absl::StatusOr<rollguard::v1::ReplayResponse> Replay(const Storage& history,
                                                     const HostRegistry& registry,
                                                     const ReplayInput& input) {
  rollguard::v1::ReplayResponse out;
  ReplayInput in = input;
  in.since_ms = std::max(in.since_ms, in.oldest_ms);
  const int64_t until = in.until_ms > 0 ? in.until_ms : absl::ToUnixMillis(absl::Now());
  if (until <= in.since_ms)
    return absl::InvalidArgumentError("the replay's end is before its start");
  out.set_since_ms(in.since_ms);
  out.set_until_ms(until);
  ASSIGN_OR_RETURN(std::vector<StoredSample> samples, CollectSamples(history, in, until, &out));

  ScratchDir scratch;
  if (scratch.path().empty()) return absl::InternalError("cannot create a scratch folder");
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> records, OpenRocksDbStorage(scratch.path(), {}));
  FakeClock clock(absl::FromUnixMillis(in.since_ms));
  RuleEngine engine(&history, &clock, in.engine);
  (void)engine.SetRules(in.rules);
  for (const auto& h : registry.List()) {
    engine.SetHostLabels(h.host_id(), Labels(h.labels().begin(), h.labels().end()));
  }
  AuditLog audit(&records->records());
  CommandManager commands(&records->records(), &audit, &clock);
  AutomationOptions automation = in.automation;
  automation.mode = AutomationMode::kAuto;
  Remediator remediator(automation, records.get(), &commands, &registry, &audit, &clock, nullptr);
  RETURN_IF_ERROR(remediator.Load());

  std::map<std::string, int64_t> resolved_at;  // alert id → when it resolved (last)
  // Nothing can fire before the first sample: ticking starts there.
  int64_t next_tick = samples.empty() ? until : samples.front().timestamp_ms + kTickEveryMs;
  size_t i = 0;
  size_t work = 0;  // samples and ticks since cancellation was last polled
  auto should_stop = [&](size_t done) {
    work += done;
    if (work < kCheckEvery) return false;
    work = 0;
    return in.cancelled();
  };
  while (i < samples.size()) {
    const int64_t ts = samples[i].timestamp_ms;
    size_t j = i;
    while (j < samples.size() && samples[j].timestamp_ms == ts) ++j;
    while (next_tick <= ts) {
      clock.Set(absl::FromUnixMillis(next_tick));
      remediator.Tick();
      next_tick += kTickEveryMs;
      if (should_stop(1)) return Cancelled();
    }
    if (should_stop(j - i)) return Cancelled();
    clock.Set(absl::FromUnixMillis(ts));
    std::vector<AlertChange> changes =
        engine.Observe(absl::MakeConstSpan(samples.data() + i, j - i));
    for (const AlertChange& c : changes) {
      if (c.to_state == AlertState::kFiring && c.from_state != AlertState::kFiring)
        out.set_alerts_fired(out.alerts_fired() + 1);
      if (c.from_state == AlertState::kFiring && c.to_state == AlertState::kResolved) {
        resolved_at[c.alert.id()] = ts;
        AssumeRollbackWorked(&commands, c.alert.host_id());
      }
      remediator.OnAlertChange(c);
    }
    i = j;
  }

  ASSIGN_OR_RETURN(std::vector<rollguard::v1::Incident> incidents, remediator.List(true, 0, ""));
  for (const auto& inc : incidents) DescribeDecision(inc, resolved_at, out.add_decisions());
  std::sort(out.mutable_decisions()->begin(), out.mutable_decisions()->end(),
            [](const auto& a, const auto& b) { return a.at_ms() < b.at_ms(); });
  out.set_note(
      "mode auto; a dispatched rollback is assumed to succeed and to hold its slot until its "
      "alert resolved; silences are not applied");
  return out;
}

}  // namespace rollguard::collector
