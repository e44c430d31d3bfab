// HA: the control records written through to etcd, so a new leader knows
// what the old one had under way. While this member holds the leadership
// key, a write to a control table (commands and their indexes, rollouts,
// incidents, silences, the audit log, alert states with their "notified"
// marks) goes first to etcd — in a transaction guarded by the leadership
// key's revision, so a deposed leader's write fails — and then to the local
// database; a write etcd did not take is not made (nothing acts on state the
// follower could not see). A follower writes locally only. Reads are local.
//
// On promotion, before the new leader acts, PullFromEtcd makes its local
// control tables etcd's copy (alert states excepted: the follower evaluated
// its own; their notified marks are handed back to merge). The first leader
// ever of a cluster seeds etcd from its local tables instead, so turning HA
// on keeps a collector's history.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "collector/ha/leader_election.h"
#include "collector/storage/record_store.h"
#include "rollguard/v1/alerts.pb.h"

namespace rollguard::collector {

// Thread-safe (as the local store and the etcd client are).
class ReplicatedRecords final : public RecordStore {
 public:
  ReplicatedRecords(RecordStore* local, const LeaderElection* election);

  absl::Status Put(Table table, absl::string_view key, absl::string_view value) override;
  absl::Status Delete(Table table, absl::string_view key) override;
  absl::Status Scan(
      Table table, absl::string_view start, absl::string_view end,
      const std::function<bool(absl::string_view, absl::string_view)>& fn) const override;

  struct Pulled {
    size_t written = 0;                               // local records added or changed
    size_t deleted = 0;                               // local records etcd no longer has
    bool seeded = false;                              // etcd was empty: it got this member's tables
    std::vector<rollguard::v1::Alert> leader_alerts;  // the old leader's alert states
  };
  // Promotion (this member holds the key at `epoch`, is not acting yet).
  // `keep_alive` is called between steps (the lease must not lapse while a
  // long catch-up runs).
  [[nodiscard]] absl::StatusOr<Pulled> PullFromEtcd(int64_t epoch,
                                                    const std::function<void()>& keep_alive = {});

  static bool Replicated(Table table);

 private:
  std::string EtcdKey(Table table, absl::string_view key) const;
  std::string TablePrefix(Table table) const;
  // Writes (or deletes) in etcd while the key is held; OK when not held.
  absl::Status WriteThrough(Table table, absl::string_view key,
                            const std::optional<std::string>& value);
  absl::Status Seed(int64_t epoch, const std::function<void()>& keep_alive, Pulled* out);

  RecordStore* const local_;
  const LeaderElection* const election_;
};

}  // namespace rollguard::collector
