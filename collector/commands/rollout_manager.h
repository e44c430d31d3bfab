// Fleet rollouts: one playbook over a list of hosts, at most max_parallel
// hosts at a time, the next host dispatched as soon as one finishes; by
// default the rollout halts (dispatches no more hosts) after a host fails.
// Driven by command completions, so it keeps going without the CLI that
// started it, and resumes after a collector restart.
//
// Cost: a command finishing is O(1) work here however many hosts the rollout
// has — counters move, the dispatch cursor moves on, and each dispatch writes
// one small record (Table::kRolloutHosts, host -> command id, written before
// the command, so a crash between the two cannot dispatch a host twice). The
// rollout record itself is written when it starts and when it ends; counters
// are rebuilt from the commands at load.
#pragma once

#include <map>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "collector/commands/command_manager.h"
#include "collector/registry/host_registry.h"
#include "common/mutex.h"
#include "rollguard/v1/admin_service.pb.h"

namespace rollguard::collector {

// Keys of Table::kRolloutHosts: one rollout's entries are the range
// [RolloutHostKey(id, ""), RolloutHostsEnd(id)).
std::string RolloutHostKey(absl::string_view rollout_id, absl::string_view host_id);
std::string RolloutHostsEnd(absl::string_view rollout_id);

// Thread-safe.
class RolloutManager {
 public:
  RolloutManager(RecordStore* records, CommandManager* commands, HostRegistry* registry,
                 AuditLog* audit, const Clock* clock, absl::Duration default_queue_for);

  // Loads running rollouts and drives them on. Registers with `commands`.
  [[nodiscard]] absl::Status Load();
  // HA promotion: the running rollouts as the store has them now (the old
  // leader's), rebuilt and driven on; commands the old leader recorded but
  // never stored are queued under their recorded ids (never twice).
  [[nodiscard]] absl::Status Reload();

  // Validates (hosts exist, the playbook is one they announced), then stores
  // and starts the rollout, unless resolve_only.
  [[nodiscard]] absl::StatusOr<rollguard::v1::Rollout> Start(
      const rollguard::v1::StartRolloutRequest& request);

  // With `summary`, only the counters (no host list, no commands).
  [[nodiscard]] absl::StatusOr<rollguard::v1::RolloutStatus> Get(const std::string& id,
                                                                 bool summary = false) const;
  // Rollouts still dispatching or waiting for their commands.
  size_t RunningCount() const;

 private:
  // A running rollout and where its dispatch has got to.
  struct Running {
    rollguard::v1::Rollout rollout;  // counters kept current
    int next = 0;                    // host_ids before this are dispatched
    // Every host counted failed (failed_hosts names only the first few): a
    // correction applies only to a failure that was counted.
    std::set<std::string> counted_failed;
  };

  absl::StatusOr<std::vector<std::string>> ResolveHosts(
      const rollguard::v1::StartRolloutRequest& request) const;
  // Dispatches what the limits allow and settles the rollout's state.
  void DriveLocked(Running* running) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues the command for one host (its id stored first). False if storing failed.
  bool DispatchLocked(rollguard::v1::Rollout* rollout, const std::string& host,
                      const std::string& command_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reads back what was dispatched and how each command stands (at load).
  absl::Status LoadRunning();
  absl::Status RebuildLocked(Running* running) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CountFinished(Running* running, const rollguard::v1::CommandRecord& record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Save(const rollguard::v1::Rollout& rollout) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnCommandFinished(const rollguard::v1::CommandRecord& record);
  // A late SUCCEEDED replaced a guessed EXPIRED/LOST: the counters move from
  // failed to succeeded (running or finished rollout); nothing is re-driven
  // and a halt stays a halt.
  void OnCommandCorrected(const rollguard::v1::CommandRecord& record,
                          rollguard::v1::CommandState replaced);
  static void CorrectCounts(rollguard::v1::Rollout* rollout, const std::string& host);

  RecordStore* const records_;
  CommandManager* const commands_;
  HostRegistry* const registry_;
  AuditLog* const audit_;
  const Clock* const clock_;
  const absl::Duration default_queue_for_;

  mutable Mutex mu_;
  // Mutable: a summary Get moves the big fields aside for a moment, under
  // the lock, instead of copying them.
  mutable std::map<std::string, Running> running_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rollguard::collector
