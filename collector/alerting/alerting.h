// The collector's alerting: rules from a file (or the shipped defaults)
// evaluated on every stored sample, each change stored in RocksDB (so state
// and "already notified" survive a restart), notifications sent through the
// Notifier, silences, and a 1-second tick for staleness, host_offline and
// repeats. Reloading keeps the old rules when the new file is bad.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "collector/alerting/rule_engine.h"
#include "collector/notify/notifier.h"
#include "collector/registry/host_registry.h"
#include "collector/storage/storage.h"
#include "common/mutex.h"

namespace rollguard::collector {

struct AlertingOptions {
  std::string rules_path;  // empty: the shipped default rules
  EngineOptions engine;
  NotifyConfig notify = DefaultNotifyConfig();
  absl::Duration tick = absl::Seconds(1);
};

// Thread-safe.
class Alerting {
 public:
  Alerting(AlertingOptions options, Storage* storage, HostRegistry* registry, const Clock* clock);
  ~Alerting();
  // HA: only the acting leader notifies (see RuleEngine::SetLeadership).
  void SetLeadership(const Leadership* leadership) {
    leadership_ = leadership;
    engine_.SetLeadership(leadership);
  }

  // Loads rules (a bad file is an error naming file and line), restores
  // alerts and silences, starts the notifier and the tick.
  [[nodiscard]] absl::Status Start();
  void Stop();

  // The ingest path, after the samples are stored.
  void Observe(absl::Span<const StoredSample> samples);
  void OnHostHello(const std::string& host, const Labels& labels);

  // HA promotion: silences as the store has them now, and the old leader's
  // notices (RuleEngine::MergeNotified).
  void TakeOver(const std::vector<rollguard::v1::Alert>& leader_alerts);

  // Re-reads the rules file; on error the running rules stay.
  [[nodiscard]] absl::StatusOr<size_t> Reload();
  // New receivers and routes (a re-read config file); see Notifier::Reload.
  void ReloadNotify(NotifyConfig config);
  std::string rules_source() const;
  // The running rules and engine settings (replay runs them over history).
  std::vector<Rule> rules() const;
  const EngineOptions& engine_options() const { return options_.engine; }

  // Called with every stored alert change, in the engine's order (the closed
  // loop acts on them). Set before Start.
  void SetChangeListener(std::function<void(const AlertChange&)> listener) {
    listener_ = std::move(listener);
  }
  // Sends `n` to the named receivers, or along the routes when none are named.
  void NotifyDirect(const Notification& n, const std::vector<std::string>& receivers);

  // One evaluation of time-driven state (also run by the tick thread).
  void Tick();

  // Pending and firing alerts (of one host, if named), with their last
  // notification error.
  std::vector<rollguard::v1::Alert> ActiveAlerts(absl::string_view host) const;
  // Delivery counts and last errors, per receiver.
  std::vector<rollguard::v1::ReceiverStatus> Receivers() const;
  // State changes since `since_ms` (of one host, if named), oldest first, at
  // most `max`.
  [[nodiscard]] absl::StatusOr<std::vector<rollguard::v1::AlertEvent>> Events(
      absl::string_view host, int64_t since_ms, size_t max) const;

  // A silence from now for `duration_ms`; needs at least one matcher.
  [[nodiscard]] absl::StatusOr<rollguard::v1::Silence> AddSilence(const Labels& matchers,
                                                                  int64_t duration_ms,
                                                                  const std::string& comment,
                                                                  const std::string& created_by);
  // Active silences (and expired ones with `all`).
  [[nodiscard]] absl::StatusOr<std::vector<rollguard::v1::Silence>> Silences(bool all) const;
  [[nodiscard]] absl::Status RemoveSilence(const std::string& id);
  // A decommissioned host: its alerts resolve ("host removed"), stored and
  // notified like any resolution. Returns how many.
  size_t ForgetHost(const std::string& host);

 private:
  void Apply(std::vector<AlertChange> changes);
  absl::StatusOr<std::vector<rollguard::v1::Silence>> LoadSilences() const;
  void PushSilences();

  AlertingOptions options_;
  Storage* const storage_;
  HostRegistry* const registry_;
  const Clock* const clock_;
  const Leadership* leadership_ = SoleLeader::Get();
  RuleEngine engine_;
  std::unique_ptr<Notifier> notifier_;
  std::function<void(const AlertChange&)> listener_;

  // Held from the engine's evaluation through storing its changes, so the
  // stored order of an alert's changes is the engine's order even when two
  // ingest workers and the tick produce changes at once.
  Mutex apply_mu_;
  mutable Mutex mu_;
  std::string rules_source_ ABSL_GUARDED_BY(mu_);
  std::vector<Rule> rules_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> notify_errors_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint32_t> event_seq_{0};

  Mutex tick_mu_;
  std::condition_variable tick_cv_;
  bool stopping_ = false;
  std::thread tick_thread_;
};

}  // namespace rollguard::collector
