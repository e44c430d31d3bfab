// Commands to agents: a request becomes a stored command (QUEUED) before it
// is sent; it is written to the host's stream when the agent is connected and
// offered again on every hello until the agent answers, or until its deadline
// passes (EXPIRED). The agent runs an id at most once and streams each step
// back; updates are merged here (by step index; a final state is never
// replaced by a running one) and stored. Every request and every outcome goes
// to the audit log.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/commands/agent_link.h"
#include "collector/commands/audit_log.h"
#include "collector/ha/leadership.h"
#include "collector/storage/record_store.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "common/record_states.h"
#include "rollguard/v1/commands.pb.h"

namespace rollguard::collector {

// "<prefix>-YYYYMMDD-HHMMSS-<16 hex>": sorts by creation time; 64 random
// bits, so even a million ids in one second collide with odds ~3e-8.
std::string NewTimeOrderedId(absl::string_view prefix, absl::Time now);

// Keys: the smallest command id made at `ms` ("c-YYYYMMDD-HHMMSS"), and a
// Table::kCommandsByHost entry.
std::string CommandIdAt(int64_t ms);
std::string CommandByHostKey(absl::string_view host_id, absl::string_view command_id);

// What one command record may hold of the agent's step reports.
inline constexpr int kMaxCommandSteps = 256;
inline constexpr size_t kMaxStepOutput = 4096;  // bytes per step (the agent sends less)
inline constexpr size_t kMaxStepName = 256;

// Thread-safe. Listeners run with no lock held.
class CommandManager {
 public:
  using OnFinished = std::function<void(const rollguard::v1::CommandRecord&)>;
  // A late final answer replaced the EXPIRED or LOST guessed here
  // (`replaced`). Not a second finish: nothing is re-driven or escalated;
  // whoever keeps counts of outcomes corrects them.
  using OnCorrected = std::function<void(const rollguard::v1::CommandRecord&,
                                         rollguard::v1::CommandState replaced)>;

  // `lost_after`: how long a RUNNING command may wait for its disconnected
  // host before it is LOST (and its rollout and automation slot move on).
  CommandManager(RecordStore* records, AuditLog* audit, const Clock* clock,
                 absl::Duration lost_after = absl::Minutes(15));

  // Who may act (HA): only the acting leader stores new commands, sends
  // them (stamped with its epoch) and declares them expired or lost. Set
  // before use; default: a sole collector, always acting.
  void SetLeadership(const Leadership* leadership) { leadership_ = leadership; }
  // This member just became the leader: offers every open command to its
  // connected host (the agent answers a command it already ran from its
  // record: nothing runs twice).
  void OnLeadershipGained();

  // Loads the unfinished commands (they are offered again on hello).
  [[nodiscard]] absl::Status Load();
  // HA promotion: the open commands as the store has them now (the old
  // leader's), replacing what this member held.
  [[nodiscard]] absl::Status Reload();
  // HA promotion: while the new leader catches up (not acting yet), its
  // rollouts may queue the commands the old leader recorded; they are sent
  // once it acts (OnLeadershipGained).
  void SetPromoting(bool promoting) { promoting_ = promoting; }

  // Stores the command for `host_id` and sends it if the agent is connected.
  // Fills in id (when empty), created_ms and deadline_ms (from queue_for).
  [[nodiscard]] absl::StatusOr<rollguard::v1::CommandRecord> Submit(rollguard::v1::Command command,
                                                                    const std::string& host_id,
                                                                    absl::Duration queue_for);

  // From the agent's stream.
  void OnAgentConnected(const std::string& host_id, const std::vector<std::string>& playbooks,
                        AgentLink* link);
  void OnAgentDisconnected(const std::string& host_id, AgentLink* link);
  void OnUpdate(const std::string& host_id, const rollguard::v1::CommandUpdate& update);

  // Expires commands whose deadline passed before the agent took them, and
  // stores the step progress received since the last Tick (once a second).
  void Tick();

  [[nodiscard]] absl::StatusOr<rollguard::v1::CommandRecord> Get(const std::string& id) const;
  // One page of a listing: newest last, at most `limit` (newest kept).
  struct Page {
    std::vector<rollguard::v1::CommandRecord> commands;
    std::string next_before_id;  // set when older ones were left out
  };
  // Reads only the commands created since `since_ms` (ids sort by time) and,
  // with a host, only that host's (Table::kCommandsByHost); `before_id`
  // pages further back. Cost follows the range asked for, not the table.
  [[nodiscard]] absl::StatusOr<Page> List(const std::string& host_id, int64_t since_ms,
                                          uint32_t limit, const std::string& before_id = "") const;

  // The playbooks the host's agent announced since this collector started;
  // empty when not known.
  std::vector<std::string> PlaybooksOf(const std::string& host_id) const;
  bool Connected(const std::string& host_id) const;
  // Open (not yet final) commands by state name, e.g. {"RUNNING": 3}.
  std::map<std::string, int> OpenByState() const;
  // A drill command is open on the host, or one ended within `grace`: the
  // alerts a drill causes must not trigger automatic action.
  bool DrillActive(const std::string& host_id, absl::Duration grace) const;

  void AddListener(OnFinished listener);
  void AddCorrectionListener(OnCorrected listener);

 private:
  // Stores and, if connected, sends. Returns the stored record.
  absl::Status PersistLocked(const rollguard::v1::CommandRecord& record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DeliverLocked(rollguard::v1::CommandRecord* record, AgentLink* link)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // open_ and open_by_host_ change together, only through these.
  rollguard::v1::CommandRecord& OpenLocked(rollguard::v1::CommandRecord record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CloseLocked(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SaveProgressLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AuditOutcome(const rollguard::v1::CommandRecord& record);
  void NotifyFinished(const rollguard::v1::CommandRecord& record);

  RecordStore* const records_;
  AuditLog* const audit_;
  const Clock* const clock_;
  const absl::Duration lost_after_;
  const Leadership* leadership_ = SoleLeader::Get();
  std::atomic<bool> promoting_{false};

  mutable Mutex mu_;
  // Unfinished commands by id; finished ones are read from the store.
  std::map<std::string, rollguard::v1::CommandRecord> open_ ABSL_GUARDED_BY(mu_);
  // The ids in open_ by host (a hello and DrillActive read one host's), in
  // id order, which is creation order: a reconnecting host gets them in turn.
  absl::flat_hash_map<std::string, std::set<std::string>> open_by_host_ ABSL_GUARDED_BY(mu_);
  // Open commands whose step progress is newer in memory than in the store.
  std::set<std::string> unsaved_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, AgentLink*> links_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::string>> playbooks_ ABSL_GUARDED_BY(mu_);
  // When each host's stream last ended (erased when it is back): a running
  // command is lost only once its host has been gone lost_after.
  std::map<std::string, int64_t> gone_since_ms_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> drill_ended_ms_ ABSL_GUARDED_BY(mu_);

  Mutex listeners_mu_;
  std::vector<OnFinished> listeners_ ABSL_GUARDED_BY(listeners_mu_);
  std::vector<OnCorrected> correction_listeners_ ABSL_GUARDED_BY(listeners_mu_);
};

}  // namespace rollguard::collector
