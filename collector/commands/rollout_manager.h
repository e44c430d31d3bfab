// Fleet rollouts: one playbook over a list of hosts, at most max_parallel
// hosts at a time, the next host dispatched as soon as one finishes; by
// default the rollout halts (dispatches no more hosts) after a host fails.
// Driven by command completions, so it keeps going without the CLI that
// started it, and resumes after a collector restart.
#pragma once

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "collector/commands/command_manager.h"
#include "collector/registry/host_registry.h"
#include "common/mutex.h"
#include "rollguard/v1/admin_service.pb.h"

namespace rollguard::collector {

// Thread-safe.
class RolloutManager {
 public:
  RolloutManager(RecordStore* records, CommandManager* commands, HostRegistry* registry,
                 AuditLog* audit, const Clock* clock, absl::Duration default_queue_for);

  // Loads running rollouts and drives them on. Registers with `commands`.
  [[nodiscard]] absl::Status Load();

  // Validates (hosts exist, the playbook is one they announced), then stores
  // and starts the rollout, unless resolve_only.
  [[nodiscard]] absl::StatusOr<rollguard::v1::Rollout> Start(
      const rollguard::v1::StartRolloutRequest& request);

  [[nodiscard]] absl::StatusOr<rollguard::v1::RolloutStatus> Get(const std::string& id) const;

 private:
  absl::StatusOr<std::vector<std::string>> ResolveHosts(
      const rollguard::v1::StartRolloutRequest& request) const;
  // Dispatches what the limits allow and settles the rollout's state.
  void DriveLocked(rollguard::v1::Rollout* rollout) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnCommandFinished(const rollguard::v1::CommandRecord& record);

  RecordStore* const records_;
  CommandManager* const commands_;
  HostRegistry* const registry_;
  AuditLog* const audit_;
  const Clock* const clock_;
  const absl::Duration default_queue_for_;

  mutable Mutex mu_;
  std::map<std::string, rollguard::v1::Rollout> running_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rollguard::collector
