#include "collector/alerting/rule_engine.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/duration.h"
#include "common/mutex.h"
#include "common/number_format.h"
#include "common/record_states.h"

namespace rollguard::collector {
namespace {

using rollguard::v1::Alert;

constexpr AlertState kInactive = AlertState::kInactive;
constexpr AlertState kPending = AlertState::kPending;
constexpr AlertState kFiring = AlertState::kFiring;
constexpr AlertState kResolved = AlertState::kResolved;
constexpr char kHostOffline[] = "host_offline";

Labels ExtraLabels(const Labels& labels) {
  Labels extra = labels;
  extra.erase("host");
  return extra;
}

bool SameLabels(const Alert& a, const Alert& b) {
  if (a.labels_size() != b.labels_size()) return false;
  for (const auto& [k, v] : a.labels()) {
    auto it = b.labels().find(k);
    if (it == b.labels().end() || it->second != v) return false;
  }
  return true;
}

}  // namespace

RuleEngine::RuleEngine(const Storage* storage, const Clock* clock, EngineOptions options)
    : storage_(storage), clock_(clock), options_(std::move(options)) {}

std::vector<AlertChange> RuleEngine::SetRules(std::vector<Rule> rules) {
  MutexLock lock(&mu_);
  rules_ = std::move(rules);
  rules_by_metric_.clear();
  for (int i = 0; i < static_cast<int>(rules_.size()); ++i) {
    rules_by_metric_[rules_[i].metric].push_back(i);
  }
  series_.clear();  // re-resolved lazily against the new rules
  no_rules_.clear();
  series_of_host_.clear();
  std::vector<AlertChange> out;
  std::vector<std::string> orphans;
  for (const auto& [id, a] : active_) {
    if (a.rule() == kHostOffline) continue;
    bool still = std::any_of(rules_.begin(), rules_.end(),
                             [&a = a](const Rule& r) { return r.name == a.rule(); });
    if (!still) orphans.push_back(id);
  }
  for (const auto& id : orphans) Resolve(id, clock_->NowMs(), "rule removed", &out);
  FillSummaries(&out);
  return out;
}

void RuleEngine::SetHostLabels(const std::string& host, const Labels& labels) {
  MutexLock lock(&mu_);
  auto it = host_labels_.find(host);
  if (it != host_labels_.end() && it->second == labels) return;
  host_labels_[host] = labels;
  // Host selectors may now match this host's series differently. (Whether a
  // series has rules at all depends on its metric only: no_rules_ stands.)
  auto of_host = series_of_host_.find(host);
  if (of_host == series_of_host_.end()) return;
  for (SeriesId id : of_host->second) {
    if (id < series_.size() && series_[id]) series_[id]->resolved = false;
  }
}

void RuleEngine::SetSilences(std::vector<rollguard::v1::Silence> silences) {
  MutexLock lock(&mu_);
  silences_ = std::move(silences);
}

void RuleEngine::Restore(const std::vector<Alert>& alerts) {
  MutexLock lock(&mu_);
  for (const Alert& a : alerts) {
    if (StateOf(a) != kPending && StateOf(a) != kFiring) continue;
    EraseActive(a.id());
    AddActive(a);
    int64_t& last = last_notified_[CooldownKey(a)];
    last = std::max(last, a.last_notified_ms());
  }
}

std::vector<Alert> RuleEngine::MergeNotified(const std::vector<Alert>& leader_alerts) {
  MutexLock lock(&mu_);
  // Alert ids are the same on every member (rule, host and labels): match
  // by id, and carry each cooldown key's newest notice.
  std::vector<Alert> marked;
  for (const Alert& theirs : leader_alerts) {
    if (theirs.last_notified_ms() == 0) continue;
    int64_t& last = last_notified_[CooldownKey(theirs)];
    last = std::max(last, theirs.last_notified_ms());
    auto it = active_.find(theirs.id());
    if (it == active_.end() || !theirs.firing_notified() || StateOf(it->second) != kFiring) {
      continue;
    }
    const bool newly = !it->second.firing_notified();
    it->second.set_firing_notified(true);
    it->second.set_last_notified_ms(std::max(it->second.last_notified_ms(), last));
    if (newly) marked.push_back(it->second);
  }
  return marked;
}

const RuleEngine::SeriesRules& RuleEngine::RulesFor(SeriesId id) {
  static const SeriesRules kNoRules = [] {
    SeriesRules r;
    r.resolved = true;
    return r;
  }();
  if (id >= series_.size()) {
    series_.resize(static_cast<size_t>(id) + 1);
    no_rules_.resize(static_cast<size_t>(id) + 1, false);
  }
  if (no_rules_[id]) return kNoRules;
  std::unique_ptr<SeriesRules>& p = series_[id];
  if (p && p->resolved) return *p;
  SeriesKey key;
  if (!storage_->GetSeries(id, &key)) return kNoRules;  // not interned: nothing to match
  auto by_metric = rules_by_metric_.find(key.metric);
  if (by_metric == rules_by_metric_.end()) {
    no_rules_[id] = true;
    p.reset();
    return kNoRules;
  }
  const std::string& host = key.labels["host"];
  if (!p) {
    p = std::make_unique<SeriesRules>();
    series_of_host_[host].push_back(id);
  }
  p->resolved = true;
  p->host = host;
  p->slots.clear();  // re-resolved after a hello with new labels
  p->labels = key.labels;
  Labels extra = ExtraLabels(key.labels);
  const Labels& host_labels = host_labels_[p->host];
  for (int idx : by_metric->second) {
    const Rule& r = rules_[idx];
    bool ok = true;
    for (const auto& [k, v] : r.hosts) {
      if (k == "host") {
        ok = ok && p->host == v;
      } else {
        auto it = host_labels.find(k);
        ok = ok && it != host_labels.end() && it->second == v;
      }
    }
    // The series' extra labels must be exactly the rule's ("*" = any value).
    ok = ok && extra.size() == r.series.size();
    for (const auto& [k, v] : r.series) {
      auto it = extra.find(k);
      ok = ok && it != extra.end() && (v == "*" || it->second == v);
    }
    if (!ok) continue;
    std::string alert_id = absl::StrCat(p->host, "/", r.name, FormatLabels(extra));
    p->slots.push_back({idx, std::move(alert_id)});
  }
  return *p;
}

std::vector<AlertChange> RuleEngine::Observe(absl::Span<const StoredSample> samples) {
  std::vector<AlertChange> out;
  MutexLock lock(&mu_);
  if (rules_.empty()) return out;
  const int64_t arrival = clock_->NowMs();
  for (const StoredSample& s : samples) {
    // NaN is "no data": it neither fires nor resolves anything, and it does
    // not keep an alert fresh (staleness resolves it as "no data").
    if (std::isnan(s.value)) continue;
    const SeriesRules& sr = RulesFor(s.series);
    for (const Slot& slot : sr.slots) {
      Evaluate(rules_[slot.rule], slot, sr, s.timestamp_ms, s.value, arrival, &out);
    }
  }
  FillSummaries(&out);
  return out;
}

void RuleEngine::FillSummaries(std::vector<AlertChange>* changes) const {
  // Formatting is kept off the per-sample path: only what is read gets it.
  for (AlertChange& c : *changes) c.alert.set_summary(Summary(c.alert));
}

void RuleEngine::Evaluate(const Rule& rule, const Slot& slot, const SeriesRules& sr, int64_t ts,
                          double v, int64_t arrival_ms, std::vector<AlertChange>* out) {
  const bool cond = rule.Holds(v);
  auto it = active_.find(slot.alert_id);
  if (it == active_.end()) {
    if (!cond) return;  // the common case: nothing to do
    Alert a;
    a.set_id(slot.alert_id);
    a.set_host_id(sr.host);
    a.set_rule(rule.name);
    a.set_family(rule.family);
    a.set_metric(rule.metric);
    a.mutable_labels()->insert(sr.labels.begin(), sr.labels.end());
    a.set_severity(rule.severity);
    a.set_comparison(rule.op_text);
    a.set_threshold(rule.threshold);
    a.set_playbook(rule.playbook);
    SetState(&a, kPending);
    a.set_active_since_ms(ts);
    a.set_value(v);
    a.set_last_sample_ms(ts);
    a.set_last_arrival_ms(arrival_ms);
    a.set_summary(Summary(a));
    Alert& stored = AddActive(std::move(a));
    out->push_back({stored, kInactive, kPending, "condition true", NotifyKind::kNone});
    if (rule.for_duration <= absl::ZeroDuration()) Fire(&stored, rule, ts, out);
    return;
  }
  Alert& a = it->second;
  if (ts < a.last_sample_ms()) return;  // a resent older sample changes nothing
  a.set_value(v);
  a.set_last_sample_ms(ts);
  a.set_last_arrival_ms(arrival_ms);
  if (StateOf(a) == kPending) {
    if (!cond) {
      out->push_back(
          {a, kPending, kInactive, "condition cleared before its for duration", NotifyKind::kNone});
      EraseActive(slot.alert_id);
    } else if (ts - a.active_since_ms() >= absl::ToInt64Milliseconds(rule.for_duration)) {
      Fire(&a, rule, ts, out);
    }
    return;
  }
  // Firing.
  if (cond) {
    a.set_clear_since_ms(0);
    return;
  }
  if (rule.keep_firing_for <= absl::ZeroDuration()) {
    Resolve(slot.alert_id, ts, "condition cleared", out);
    return;
  }
  if (a.clear_since_ms() == 0) a.set_clear_since_ms(ts);
  if (ts - a.clear_since_ms() >= absl::ToInt64Milliseconds(rule.keep_firing_for)) {
    Resolve(slot.alert_id, ts, "condition cleared", out);
  }
}

std::string RuleEngine::GroupKey(const Alert& a) {
  return absl::StrCat(a.host_id(), "|", a.family());
}

Alert& RuleEngine::AddActive(Alert a) {
  std::string id = a.id();
  groups_[GroupKey(a)].push_back(id);
  return active_.insert_or_assign(id, std::move(a)).first->second;
}

void RuleEngine::EraseActive(const std::string& id) {
  auto it = active_.find(id);
  if (it == active_.end()) return;
  auto g = groups_.find(GroupKey(it->second));
  if (g != groups_.end()) {
    auto& ids = g->second;
    ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
    if (ids.empty()) groups_.erase(g);
  }
  active_.erase(it);
}

std::string RuleEngine::CooldownKey(const Alert& a) {
  // The runbook keys its cooldown by metric and severity; per host here.
  return absl::StrCat(a.host_id(), "|", a.metric(),
                      FormatLabels(ExtraLabels(Labels(a.labels().begin(), a.labels().end()))), "|",
                      a.severity());
}

NotifyKind RuleEngine::DecideFiringNotice(Alert* a, int64_t cooldown_ms, bool repeat) {
  if (!leadership_->Acting()) return NotifyKind::kNone;
  int64_t now = clock_->NowMs();
  int64_t& last = last_notified_[CooldownKey(*a)];
  if (last != 0 && now - last < cooldown_ms) return NotifyKind::kNone;
  last = now;
  a->set_last_notified_ms(now);
  a->set_firing_notified(true);
  return repeat ? NotifyKind::kRepeat : NotifyKind::kFiring;
}

bool RuleEngine::Inhibited(const Alert& a) const {
  int rank = SeverityRank(a.severity());
  auto g = groups_.find(GroupKey(a));
  if (g == groups_.end()) return false;
  for (const std::string& id : g->second) {
    auto it = active_.find(id);
    if (it == active_.end()) continue;
    const Alert& b = it->second;
    if (StateOf(b) == kFiring && SeverityRank(b.severity()) > rank && SameLabels(a, b)) return true;
  }
  return false;
}

bool RuleEngine::Silenced(const Alert& a, int64_t now_ms) const {
  auto host_labels = host_labels_.find(a.host_id());
  for (const auto& s : silences_) {
    if (now_ms < s.starts_ms() || now_ms >= s.ends_ms()) continue;
    bool all = !s.matchers().empty();
    for (const auto& [k, v] : s.matchers()) {
      std::string have;
      if (k == "host") {
        have = a.host_id();
      } else if (k == "rule") {
        have = a.rule();
      } else if (k == "severity") {
        have = a.severity();
      } else if (k == "family") {
        have = a.family();
      } else if (auto it = a.labels().find(k); it != a.labels().end()) {
        have = it->second;
      } else if (host_labels != host_labels_.end()) {
        auto hl = host_labels->second.find(k);
        if (hl != host_labels->second.end()) have = hl->second;
      }
      all = all && have == v;
    }
    if (all) return true;
  }
  return false;
}

bool RuleEngine::NoteFlap(const std::string& id, int64_t now_ms, bool* flapping) {
  Flap& f = flaps_[id];
  f.changes_ms.push_back(now_ms);
  int64_t window = absl::ToInt64Milliseconds(options_.flap_window);
  while (!f.changes_ms.empty() && now_ms - f.changes_ms.front() > window) f.changes_ms.pop_front();
  bool started = false;
  if (!f.flapping && static_cast<int>(f.changes_ms.size()) > options_.flap_threshold) {
    f.flapping = true;
    started = true;
  }
  *flapping = f.flapping;
  return started;
}

void RuleEngine::Fire(Alert* a, const Rule& rule, int64_t ts, std::vector<AlertChange>* out) {
  AlertState from = StateOf(*a);
  int64_t now = clock_->NowMs();
  SetState(a, kFiring);
  a->set_fired_at_ms(ts);
  a->set_clear_since_ms(0);
  a->set_firing_notified(false);
  bool flapping = false;
  bool started = NoteFlap(a->id(), now, &flapping);
  a->set_flapping(flapping);
  a->set_silenced(Silenced(*a, now));
  a->set_inhibited(Inhibited(*a));
  NotifyKind notify = NotifyKind::kNone;
  if (started) {
    notify = NotifyKind::kFlapping;
  } else if (!flapping && !a->silenced() && !a->inhibited()) {
    notify = DecideFiringNotice(a, absl::ToInt64Milliseconds(rule.cooldown), false);
  }
  out->push_back({*a, from, kFiring,
                  absl::StrCat(a->metric(), " ", FormatValue(a->value()), " ", a->comparison(), " ",
                               FormatValue(a->threshold())),
                  notify});
  // A higher severity now firing silences the lower ones of its family.
  auto g = groups_.find(GroupKey(*a));
  if (g != groups_.end()) {
    for (const std::string& id : g->second) {
      auto it = active_.find(id);
      if (it == active_.end() || id == a->id()) continue;
      Alert& b = it->second;
      if (StateOf(b) == kFiring && !b.inhibited() && Inhibited(b)) b.set_inhibited(true);
    }
  }
}

void RuleEngine::Resolve(const std::string& id, int64_t ts, const std::string& reason,
                         std::vector<AlertChange>* out) {
  auto it = active_.find(id);
  if (it == active_.end()) return;
  Alert a = std::move(it->second);
  EraseActive(id);
  AlertState from = StateOf(a);
  if (from == kPending) {
    out->push_back({a, kPending, kInactive, reason, NotifyKind::kNone});
    return;
  }
  int64_t now = clock_->NowMs();
  SetState(&a, kResolved);
  a.set_resolved_at_ms(ts);
  a.set_resolve_reason(reason);
  bool flapping = false;
  bool started = NoteFlap(id, now, &flapping);
  a.set_flapping(flapping);
  a.set_silenced(Silenced(a, now));
  NotifyKind notify = NotifyKind::kResolved;
  if (started) {
    notify = NotifyKind::kFlapping;
  } else if (flapping || a.silenced() || (a.inhibited() && !a.firing_notified())) {
    notify = NotifyKind::kNone;
  }
  out->push_back({a, from, kResolved, reason, notify});
  // Lower severities of the family this one inhibited may now speak.
  auto g = groups_.find(GroupKey(a));
  std::vector<std::string> group = g == groups_.end() ? std::vector<std::string>() : g->second;
  for (const std::string& other_id : group) {
    auto bit = active_.find(other_id);
    if (bit == active_.end()) continue;
    Alert& b = bit->second;
    if (StateOf(b) == kFiring && b.inhibited() && !Inhibited(b)) {
      b.set_inhibited(false);
      const Rule* rule = nullptr;
      for (const Rule& r : rules_) {
        if (r.name == b.rule()) rule = &r;
      }
      int64_t cooldown = absl::ToInt64Milliseconds(rule ? rule->cooldown : absl::Minutes(5));
      if (!b.silenced() && !b.flapping()) {
        NotifyKind n = DecideFiringNotice(&b, cooldown, false);
        if (n != NotifyKind::kNone) {
          out->push_back({b, kFiring, kFiring, "no longer inhibited", n});
        }
      }
    }
  }
}

std::vector<AlertChange> RuleEngine::Tick(const std::vector<rollguard::v1::HostStatus>& hosts) {
  std::vector<AlertChange> out;
  MutexLock lock(&mu_);
  const int64_t now = clock_->NowMs();
  ResolveStale(now, &out);
  TrackHostsOffline(hosts, now, &out);
  EndFlapping(now);
  RepeatNotices(now, &out);
  FillSummaries(&out);
  return out;
}

void RuleEngine::ResolveStale(int64_t now, std::vector<AlertChange>* out) {
  // A host that stopped reporting: its alerts resolve as "no data".
  const int64_t stale = absl::ToInt64Milliseconds(options_.stale_after);
  std::vector<std::string> stale_ids;
  for (const auto& [id, a] : active_) {
    // Arrival time, not sample time: a skewed agent clock does not flap.
    // (Alerts stored before arrival times were kept fall back to sample time.)
    const int64_t seen = a.last_arrival_ms() > 0 ? a.last_arrival_ms() : a.last_sample_ms();
    if (a.rule() != kHostOffline && now - seen > stale) stale_ids.push_back(id);
  }
  for (const auto& id : stale_ids) Resolve(id, now, "no data", out);
}

void RuleEngine::TrackHostsOffline(const std::vector<rollguard::v1::HostStatus>& hosts, int64_t now,
                                   std::vector<AlertChange>* out) {
  static const Rule* offline_rule = [] {
    auto* r = new Rule;
    r->name = kHostOffline;
    r->family = kHostOffline;
    r->metric = "host_seconds_since_seen";
    r->op_text = ">";
    return r;
  }();
  const int64_t stale = absl::ToInt64Milliseconds(options_.stale_after);
  for (const auto& h : hosts) {
    std::string id = absl::StrCat(h.host_id(), "/", kHostOffline);
    double since_s = static_cast<double>(now - h.last_seen_ms()) / 1000.0;
    bool offline = now - h.last_seen_ms() > stale;
    auto it = active_.find(id);
    if (offline && it == active_.end()) {
      Alert a;
      a.set_id(id);
      a.set_host_id(h.host_id());
      a.set_rule(kHostOffline);
      a.set_family(kHostOffline);
      a.set_metric(offline_rule->metric);
      (*a.mutable_labels())["host"] = h.host_id();
      a.set_severity(options_.host_offline_severity);
      a.set_comparison(">");
      a.set_threshold(absl::ToDoubleSeconds(options_.stale_after));
      a.set_value(since_s);
      SetState(&a, kPending);
      a.set_active_since_ms(now);
      a.set_last_sample_ms(now);
      a.set_summary(Summary(a));
      Alert& stored = AddActive(std::move(a));
      Fire(&stored, *offline_rule, now, out);
    } else if (offline) {
      it->second.set_value(since_s);
      it->second.set_last_sample_ms(now);
    } else if (it != active_.end()) {
      Resolve(id, now, "host reporting again", out);
    }
  }
}

void RuleEngine::EndFlapping(int64_t now) {
  // Flapping ends after a quiet window.
  int64_t window = absl::ToInt64Milliseconds(options_.flap_window);
  for (auto fit = flaps_.begin(); fit != flaps_.end();) {
    Flap& f = fit->second;
    while (!f.changes_ms.empty() && now - f.changes_ms.front() > window) f.changes_ms.pop_front();
    if (f.flapping && f.changes_ms.empty()) {
      f.flapping = false;
      auto a = active_.find(fit->first);
      if (a != active_.end()) a->second.set_flapping(false);
    }
    if (!f.flapping && f.changes_ms.empty()) {
      flaps_.erase(fit++);
    } else {
      ++fit;
    }
  }
}

void RuleEngine::RepeatNotices(int64_t now, std::vector<AlertChange>* out) {
  // Repeats after the cooldown, and firing alerts that may now notify (a
  // silence ended).
  for (auto& [id, a] : active_) {
    if (StateOf(a) != kFiring) continue;
    a.set_silenced(Silenced(a, now));
    if (a.silenced() || a.inhibited() || a.flapping()) continue;
    absl::Duration cooldown = absl::Minutes(5);
    for (const Rule& r : rules_) {
      if (r.name == a.rule()) cooldown = r.cooldown;
    }
    bool repeat = a.firing_notified();
    NotifyKind n = DecideFiringNotice(&a, absl::ToInt64Milliseconds(cooldown), repeat);
    if (n != NotifyKind::kNone) {
      out->push_back({a, kFiring, kFiring, repeat ? "still firing" : "notifying", n});
    }
  }
}

std::vector<AlertChange> RuleEngine::ForgetHost(const std::string& host) {
  std::vector<AlertChange> out;
  MutexLock lock(&mu_);
  std::vector<std::string> ids;
  for (const auto& [id, a] : active_) {
    if (a.host_id() == host) ids.push_back(id);
  }
  const int64_t now = clock_->NowMs();
  for (const std::string& id : ids) Resolve(id, now, "host removed", &out);
  for (const std::string& id : ids) flaps_.erase(id);
  FillSummaries(&out);
  return out;
}

std::vector<Alert> RuleEngine::Active() const {
  MutexLock lock(&mu_);
  std::vector<Alert> out;
  out.reserve(active_.size());
  for (const auto& [id, a] : active_) {
    out.push_back(a);
    out.back().set_summary(Summary(a));
  }
  std::sort(out.begin(), out.end(), [](const Alert& x, const Alert& y) {
    int rx = SeverityRank(x.severity()), ry = SeverityRank(y.severity());
    return rx != ry ? rx > ry : x.id() < y.id();
  });
  return out;
}

size_t RuleEngine::rule_count() const {
  MutexLock lock(&mu_);
  return rules_.size();
}

std::string RuleEngine::Summary(const Alert& a) const {
  if (a.rule() == kHostOffline) {
    return absl::StrCat(a.host_id(), " has not reported for ",
                        FormatDurationShort(absl::Seconds(static_cast<int64_t>(a.value()))));
  }
  Labels extra = ExtraLabels(Labels(a.labels().begin(), a.labels().end()));
  return absl::StrCat(a.metric(), FormatLabels(extra), " is ", FormatValue(a.value()), " (",
                      a.comparison(), " ", FormatValue(a.threshold()), ") on ", a.host_id());
}

}  // namespace rollguard::collector
