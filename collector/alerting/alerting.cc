#include "collector/alerting/alerting.h"

#include <spdlog/spdlog.h>

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collector/storage/key_codec.h"
#include "common/mutex.h"
#include "common/record_states.h"
#include "common/status_macros.h"

namespace rollguard::collector {

Alerting::Alerting(AlertingOptions options, Storage* storage, HostRegistry* registry,
                   const Clock* clock)
    : options_(std::move(options)),
      storage_(storage),
      registry_(registry),
      clock_(clock),
      engine_(storage, clock, options_.engine) {
  notifier_ = std::make_unique<Notifier>(
      options_.notify, clock_,
      [this](const std::string& alert_id, const std::string& receiver, const absl::Status& s) {
        MutexLock lock(&mu_);
        if (s.ok()) {
          notify_errors_.erase(alert_id);
        } else {
          notify_errors_[alert_id] = absl::StrCat(receiver, ": ", s.message());
        }
      });
}

Alerting::~Alerting() { Stop(); }

absl::Status Alerting::Start() {
  if (options_.rules_path.empty()) {
    (void)engine_.SetRules(DefaultRules());
    MutexLock lock(&mu_);
    rules_source_ = "built-in defaults (deploy/config/rules.yaml)";
    rules_ = DefaultRules();
  } else {
    ASSIGN_OR_RETURN(std::vector<Rule> rules, LoadRulesFile(options_.rules_path));
    (void)engine_.SetRules(rules);
    MutexLock lock(&mu_);
    rules_source_ = options_.rules_path;
    rules_ = std::move(rules);
  }
  for (const auto& h : registry_->List()) {
    engine_.SetHostLabels(h.host_id(), Labels(h.labels().begin(), h.labels().end()));
  }
  std::vector<rollguard::v1::Alert> restored;
  RETURN_IF_ERROR(storage_->records().Scan(
      Table::kAlerts, "", "", [&](absl::string_view, absl::string_view value) {
        rollguard::v1::Alert a;
        if (a.ParseFromArray(value.data(), static_cast<int>(value.size()))) restored.push_back(a);
        return true;
      }));
  engine_.Restore(restored);
  PushSilences();
  notifier_->Start();
  tick_thread_ = std::thread([this] {
    MutexLock lock(&tick_mu_);
    while (!stopping_) {
      lock.Unlock();
      Tick();
      lock.Lock();
      tick_cv_.wait_for(lock.native(), absl::ToChronoMilliseconds(options_.tick),
                        [&] { return stopping_; });
    }
  });
  spdlog::info("alerting: {} rules from {}; {} alerts restored", engine_.rule_count(),
               rules_source(), restored.size());
  return absl::OkStatus();
}

void Alerting::TakeOver(const std::vector<rollguard::v1::Alert>& leader_alerts) {
  PushSilences();
  std::vector<rollguard::v1::Alert> marked = engine_.MergeNotified(leader_alerts);
  // Stored (and so written through): a second failover must see the marks.
  for (const rollguard::v1::Alert& a : marked) {
    if (absl::Status s = storage_->records().Put(Table::kAlerts, a.id(), a.SerializeAsString());
        !s.ok()) {
      spdlog::error("alerting: storing {}: {}", a.id(), s.ToString());
    }
  }
  spdlog::info(
      "alerting: taking over: {} of the old leader's alert states read, {} firing here "
      "already notified by it",
      leader_alerts.size(), marked.size());
}

void Alerting::Stop() {
  {
    MutexLock lock(&tick_mu_);
    if (stopping_) return;
    stopping_ = true;
    tick_cv_.notify_all();
  }
  if (tick_thread_.joinable()) tick_thread_.join();
  notifier_->Stop(absl::Seconds(2));
}

std::vector<Rule> Alerting::rules() const {
  MutexLock lock(&mu_);
  return rules_;
}

void Alerting::ReloadNotify(NotifyConfig config) {
  const size_t receivers = config.receivers.size(), routes = config.routes.size();
  notifier_->Reload(std::move(config));
  spdlog::info("notifications: {} receivers, {} routes reloaded", receivers, routes);
}

std::string Alerting::rules_source() const {
  MutexLock lock(&mu_);
  return rules_source_;
}

void Alerting::Observe(absl::Span<const StoredSample> samples) {
  MutexLock order(&apply_mu_);
  std::vector<AlertChange> changes = engine_.Observe(samples);
  if (!changes.empty()) Apply(std::move(changes));
}

void Alerting::OnHostHello(const std::string& host, const Labels& labels) {
  engine_.SetHostLabels(host, labels);
}

void Alerting::Tick() {
  std::vector<rollguard::v1::HostStatus> hosts = registry_->List();
  MutexLock order(&apply_mu_);
  std::vector<AlertChange> changes = engine_.Tick(hosts);
  if (!changes.empty()) Apply(std::move(changes));
}

void Alerting::Apply(std::vector<AlertChange> changes) {
  RecordStore& records = storage_->records();
  for (AlertChange& c : changes) {
    const auto& a = c.alert;
    // History first, then the current state: what was notified is on disk
    // before the notification leaves, so a restart does not send it again.
    rollguard::v1::AlertEvent ev;
    ev.set_at_ms(clock_->NowMs());
    ev.set_alert_id(a.id());
    ev.set_from_state(std::string(Name(c.from_state)));
    ev.set_to_state(std::string(Name(c.to_state)));
    ev.set_value(a.value());
    ev.set_reason(c.notify == NotifyKind::kNone
                      ? c.reason
                      : absl::StrCat(c.reason, " [notify: ", NotifyKindName(c.notify), "]"));
    *ev.mutable_alert() = a;
    std::string key =
        EncodeBigEndian64(static_cast<uint64_t>(ev.at_ms())) + EncodeBigEndian32(event_seq_++);
    absl::Status s = records.Put(Table::kAlertEvents, key, ev.SerializeAsString());
    if (c.to_state == AlertState::kPending || c.to_state == AlertState::kFiring) {
      s.Update(records.Put(Table::kAlerts, a.id(), a.SerializeAsString()));
    } else {
      s.Update(records.Delete(Table::kAlerts, a.id()));
    }
    if (!s.ok()) spdlog::error("alerting: storing {}: {}", a.id(), s.ToString());
    // With HA the store is etcd too: a notice whose "notified" mark did not
    // reach it could be sent again by the next leader. Not sent: never
    // twice before late (a still-firing alert repeats after its cooldown).
    const bool mark_stored = s.ok() || c.notify == NotifyKind::kNone;
    if (c.to_state != c.from_state) {
      spdlog::info("alert {}: {} -> {} ({})", a.id(), ev.from_state(), ev.to_state(), c.reason);
    }
    if (c.notify != NotifyKind::kNone && leadership_->Acting() && mark_stored) {
      Notification n;
      n.alert = a;
      n.kind = c.notify;
      n.reason = c.reason;
      n.host_labels = registry_->LabelsOf(a.host_id());
      notifier_->Notify(n);
    }
    if (listener_) listener_(c);
  }
}

void Alerting::NotifyDirect(const Notification& n, const std::vector<std::string>& receivers) {
  if (!notifier_ || !leadership_->Acting()) return;
  if (receivers.empty()) {
    notifier_->Notify(n);
  } else {
    notifier_->NotifyReceivers(n, receivers);
  }
}

absl::StatusOr<size_t> Alerting::Reload() {
  std::string path;
  {
    MutexLock lock(&mu_);
    path = options_.rules_path;
  }
  if (path.empty()) {
    return absl::FailedPreconditionError(
        "the collector runs the built-in default rules; start it with --rules FILE to reload");
  }
  auto rules = LoadRulesFile(path);
  if (!rules.ok()) {
    spdlog::error("rules reload failed, keeping the running rules: {}", rules.status().ToString());
    return rules.status();
  }
  size_t n = rules->size();
  {
    MutexLock lock(&mu_);
    rules_ = *rules;
  }
  MutexLock order(&apply_mu_);
  Apply(engine_.SetRules(std::move(*rules)));
  spdlog::info("rules reloaded: {} rules from {}", n, path);
  return n;
}

std::vector<rollguard::v1::Alert> Alerting::ActiveAlerts(absl::string_view host) const {
  std::vector<rollguard::v1::Alert> out;
  MutexLock lock(&mu_);
  for (auto& a : engine_.Active()) {
    if (!host.empty() && a.host_id() != host) continue;
    auto err = notify_errors_.find(a.id());
    if (err != notify_errors_.end()) a.set_notify_error(err->second);
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<rollguard::v1::ReceiverStatus> Alerting::Receivers() const {
  return notifier_->Status();
}

absl::StatusOr<std::vector<rollguard::v1::AlertEvent>> Alerting::Events(absl::string_view host,
                                                                        int64_t since_ms,
                                                                        size_t max) const {
  std::vector<rollguard::v1::AlertEvent> out;
  std::string start = EncodeBigEndian64(static_cast<uint64_t>(std::max<int64_t>(since_ms, 0)));
  RETURN_IF_ERROR(storage_->records().Scan(
      Table::kAlertEvents, start, "", [&](absl::string_view, absl::string_view value) {
        rollguard::v1::AlertEvent ev;
        if (!ev.ParseFromArray(value.data(), static_cast<int>(value.size()))) return true;
        if (!host.empty() && ev.alert().host_id() != host) return true;
        out.push_back(std::move(ev));
        return out.size() < max;
      }));
  return out;
}

absl::StatusOr<std::vector<rollguard::v1::Silence>> Alerting::LoadSilences() const {
  std::vector<rollguard::v1::Silence> out;
  RETURN_IF_ERROR(storage_->records().Scan(
      Table::kSilences, "", "", [&](absl::string_view, absl::string_view value) {
        rollguard::v1::Silence s;
        if (s.ParseFromArray(value.data(), static_cast<int>(value.size()))) out.push_back(s);
        return true;
      }));
  return out;
}

void Alerting::PushSilences() {
  auto silences = LoadSilences();
  if (silences.ok()) engine_.SetSilences(std::move(*silences));
}

absl::StatusOr<rollguard::v1::Silence> Alerting::AddSilence(const Labels& matchers,
                                                            int64_t duration_ms,
                                                            const std::string& comment,
                                                            const std::string& created_by) {
  if (matchers.empty()) {
    return absl::InvalidArgumentError(
        "a silence needs at least one matcher (--host, --rule, --label)");
  }
  if (duration_ms <= 0) return absl::InvalidArgumentError("a silence needs a positive --for");
  constexpr int64_t kMaxSilenceMs = int64_t{366} * 24 * 3600 * 1000;
  if (duration_ms > kMaxSilenceMs) {
    return absl::InvalidArgumentError("a silence lasts at most 366 days (--for)");
  }
  rollguard::v1::Silence s;
  std::random_device rd;
  s.set_id(absl::StrFormat("%08x", rd()));
  s.mutable_matchers()->insert(matchers.begin(), matchers.end());
  s.set_starts_ms(clock_->NowMs());
  s.set_ends_ms(s.starts_ms() + duration_ms);
  s.set_comment(comment);
  s.set_created_by(created_by);
  s.set_created_ms(s.starts_ms());
  RETURN_IF_ERROR(storage_->records().Put(Table::kSilences, s.id(), s.SerializeAsString()));
  PushSilences();
  spdlog::info("silence {} added by {} until {}: {}", s.id(), s.created_by(), s.ends_ms(),
               s.comment());
  return s;
}

absl::StatusOr<std::vector<rollguard::v1::Silence>> Alerting::Silences(bool all) const {
  ASSIGN_OR_RETURN(auto silences, LoadSilences());
  if (all) return silences;
  int64_t now = clock_->NowMs();
  std::erase_if(silences, [&](const rollguard::v1::Silence& s) { return s.ends_ms() <= now; });
  return silences;
}

size_t Alerting::ForgetHost(const std::string& host) {
  std::vector<AlertChange> changes = engine_.ForgetHost(host);
  size_t n = 0;
  for (const AlertChange& c : changes) n += c.from_state != c.to_state;
  Apply(std::move(changes));
  return n;
}

absl::Status Alerting::RemoveSilence(const std::string& id) {
  ASSIGN_OR_RETURN(auto silences, LoadSilences());
  bool found = std::any_of(silences.begin(), silences.end(),
                           [&](const rollguard::v1::Silence& s) { return s.id() == id; });
  if (!found) return absl::NotFoundError(absl::StrCat("no silence with id '", id, "'"));
  RETURN_IF_ERROR(storage_->records().Delete(Table::kSilences, id));
  PushSilences();
  return absl::OkStatus();
}

}  // namespace rollguard::collector
