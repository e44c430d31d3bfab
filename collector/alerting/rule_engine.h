// The alert engine: rules evaluated on every stored sample (not once a
// minute), with `for` durations, keep_firing_for, cooldowns, inhibition within
// a family, flap detection, staleness and host_offline.
//
// It is pure state: it returns what changed, and the caller (Alerting)
// persists the changes and sends the notifications, outside the engine's lock.
// `for` and keep_firing_for run on sample time; cooldowns, staleness and flap
// windows on the injected clock.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "collector/alerting/rule.h"
#include "collector/ha/leadership.h"
#include "collector/notify/notification.h"
#include "collector/storage/storage.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "common/record_states.h"
#include "rollguard/v1/admin_service.pb.h"
#include "rollguard/v1/alerts.pb.h"

namespace rollguard::collector {

struct AlertChange {
  rollguard::v1::Alert alert;  // after the change
  AlertState from_state = AlertState::kInactive;
  AlertState to_state = AlertState::kInactive;  // equal to from_state when only a notice is due
  std::string reason;
  NotifyKind notify = NotifyKind::kNone;
};

struct EngineOptions {
  absl::Duration stale_after = absl::Minutes(2);
  absl::Duration flap_window = absl::Minutes(10);
  int flap_threshold = 6;  // more state changes than this within the window = flapping
  std::string host_offline_severity = "warning";
};

// Thread-safe.
class RuleEngine {
 public:
  RuleEngine(const Storage* storage, const Clock* clock, EngineOptions options);

  // Replaces the rules. Alerts of rules that still exist (by name) keep their
  // state; alerts of removed rules resolve with reason "rule removed".
  std::vector<AlertChange> SetRules(std::vector<Rule> rules);
  // HA: a member that is not acting decides no firing notice and marks
  // nothing notified, so the leader it may become still owes the notice.
  void SetLeadership(const Leadership* leadership) { leadership_ = leadership; }
  void SetHostLabels(const std::string& host, const Labels& labels);
  void SetSilences(std::vector<rollguard::v1::Silence> silences);
  // Alerts that were pending or firing when the collector last stopped.
  void Restore(const std::vector<rollguard::v1::Alert>& alerts);
  // HA promotion: what the old leader notified. Its cooldowns hold here,
  // and an alert firing here that it had announced is not announced again
  // (one it had not is, at the next evaluation). Returns this member's
  // firing alerts it marked (to be stored).
  std::vector<rollguard::v1::Alert> MergeNotified(
      const std::vector<rollguard::v1::Alert>& leader_alerts);

  // The hot path: evaluates every rule that selects each sample's series.
  std::vector<AlertChange> Observe(absl::Span<const StoredSample> samples);

  // Periodic: staleness ("no data"), host_offline, repeat notifications after
  // cooldown, end of flapping, silences starting or ending.
  std::vector<AlertChange> Tick(const std::vector<rollguard::v1::HostStatus>& hosts);

  // Resolves every alert of `host` ("host removed") and forgets its flap
  // history: the host was decommissioned.
  std::vector<AlertChange> ForgetHost(const std::string& host);

  // Pending and firing alerts.
  std::vector<rollguard::v1::Alert> Active() const;
  size_t rule_count() const;

 private:
  struct Slot {
    int rule;              // index into rules_
    std::string alert_id;  // host/rule[{labels}]
  };
  struct SeriesRules {
    bool resolved = false;
    std::string host;
    Labels labels;  // the series' labels, host included
    std::vector<Slot> slots;
  };
  struct Flap {
    std::deque<int64_t> changes_ms;
    bool flapping = false;
  };

  const SeriesRules& RulesFor(SeriesId id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `arrival_ms`: when the sample reached the collector (staleness runs on
  // it, so an agent whose clock is behind does not look silent).
  void Evaluate(const Rule& rule, const Slot& slot, const SeriesRules& sr, int64_t ts, double v,
                int64_t arrival_ms, std::vector<AlertChange>* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Fire(rollguard::v1::Alert* a, const Rule& rule, int64_t ts, std::vector<AlertChange>* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Resolve(const std::string& id, int64_t ts, const std::string& reason,
               std::vector<AlertChange>* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Tick's parts, in the order it runs them.
  void ResolveStale(int64_t now, std::vector<AlertChange>* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TrackHostsOffline(const std::vector<rollguard::v1::HostStatus>& hosts, int64_t now,
                         std::vector<AlertChange>* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndFlapping(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RepeatNotices(int64_t now, std::vector<AlertChange>* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records a firing/resolved change for flap detection; true if it just
  // started flapping.
  bool NoteFlap(const std::string& id, int64_t now_ms, bool* flapping)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Silenced(const rollguard::v1::Alert& a, int64_t now_ms) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Inhibited(const rollguard::v1::Alert& a) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether to announce a firing alert now; updates cooldown bookkeeping.
  NotifyKind DecideFiringNotice(rollguard::v1::Alert* a, int64_t cooldown_ms, bool repeat)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static std::string CooldownKey(const rollguard::v1::Alert& a);
  static std::string GroupKey(const rollguard::v1::Alert& a);
  rollguard::v1::Alert& AddActive(rollguard::v1::Alert a) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseActive(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string Summary(const rollguard::v1::Alert& a) const;
  void FillSummaries(std::vector<AlertChange>* changes) const;

  const Storage* storage_;
  const Clock* clock_;
  const Leadership* leadership_ = SoleLeader::Get();
  const EngineOptions options_;

  mutable Mutex mu_;
  std::vector<Rule> rules_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::vector<int>> rules_by_metric_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Labels> host_labels_ ABSL_GUARDED_BY(mu_);
  std::vector<rollguard::v1::Silence> silences_ ABSL_GUARDED_BY(mu_);
  // Per series id: which rules select it (computed on first sight).
  // Per series id; series no rule selects share kNoRules instead of owning a
  // record (most series at a large fleet: this is per-series memory).
  std::vector<std::unique_ptr<SeriesRules>> series_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> no_rules_ ABSL_GUARDED_BY(mu_);
  // The series with a record, by host: a hello with new labels re-resolves
  // only that host's series (clearing every series' record on each hello
  // made a fleet's connections quadratic).
  absl::flat_hash_map<std::string, std::vector<SeriesId>> series_of_host_ ABSL_GUARDED_BY(mu_);
  // Pending and firing alerts by id, and their ids by host and family (what
  // inhibition compares), so inhibition never scans the whole fleet.
  absl::flat_hash_map<std::string, rollguard::v1::Alert> active_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::vector<std::string>> groups_ ABSL_GUARDED_BY(mu_);
  // Last notification per (host, metric, severity): the runbook's cooldown key.
  absl::flat_hash_map<std::string, int64_t> last_notified_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Flap> flaps_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rollguard::collector
