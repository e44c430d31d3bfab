// Leader election through etcd. Each member holds a lease (renewed every
// ttl/3) and keeps a member key under it; the leader is whoever created the
// leadership key "/rollguard/<cluster>/leader" (a create-if-absent
// transaction bound to its lease). The key's create revision is the epoch:
// etcd revisions only grow, so a later leader always has a higher one.
//
// Acting() is true only while the leader's lease surely holds: until the
// last renewal's *send* time plus its TTL, less a margin. A leader cut off
// from etcd therefore stops acting before etcd can hand the key to anyone
// else (never two acting), and one paused past its lease wakes up not
// acting; whatever it had already put on the wire is refused by the agents'
// epoch fence.
//
// A follower polls the key; when the leader's lease expires etcd deletes
// it and the next poll takes it: failover within ttl + poll.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "collector/ha/etcd_client.h"
#include "collector/ha/ha_options.h"
#include "collector/ha/leadership.h"
#include "common/clock.h"
#include "common/mutex.h"

namespace rollguard::collector {

struct HaMember {
  std::string name;
  std::string address;
  bool leader = false;
  int64_t heartbeat_ms = 0;    // when it last wrote its member key
  int64_t last_stored_ms = 0;  // when it had last stored samples then
};

struct HaView {
  std::string cluster;
  std::string leader;  // "" when nobody leads
  std::string leader_address;
  int64_t epoch = 0;
  int64_t lease_ttl_left_s = -1;  // the leader's lease
  std::vector<HaMember> members;  // by name
  std::string self;
};

class LeaderElection final : public Leadership {
 public:
  // Runs on the election thread when this member starts or stops acting as
  // leader (epoch 0 when it stops). Must not block for long.
  using OnChange = std::function<void(bool leading, int64_t epoch)>;
  // Runs on the election thread once the key is won, before Acting() turns
  // true (HeldEpoch() is set): the new leader catches up here. An error
  // gives the key back (to try again later, or for the other member).
  using Prepare = std::function<absl::Status(int64_t epoch)>;

  LeaderElection(HaOptions options, const Clock* clock = &Clock::Real());
  ~LeaderElection() override;

  // `last_stored_ms`: read for each heartbeat (the member's lag in status).
  // `address`: this member's, when the options leave it (and the member's
  // name, then "<hostname>:<port>") to be filled in.
  void Start(OnChange on_change, std::function<int64_t()> last_stored_ms,
             const std::string& address, Prepare prepare = nullptr);
  // Steps down (revokes the lease: the follower takes over at once) and
  // joins the thread. Idempotent.
  void Stop();

  bool Acting() const override;
  int64_t Epoch() const override;
  std::string LeaderHint() const override;
  bool leader() const;
  const std::string& member() const { return options_.member; }

  // For the Prepare callback only (it runs on the election thread): renews
  // the lease when due, so a long catch-up does not let it lapse.
  void RenewDuringPrepare();

  // The cluster as etcd has it now.
  [[nodiscard]] absl::StatusOr<HaView> View() const;

  std::string LeaderKey() const { return prefix_ + "leader"; }
  // Where the replicated control records live (collector/ha/replicated_records.h).
  std::string RecordsPrefix() const { return prefix_ + "records/"; }
  EtcdClient* etcd() const { return &etcd_; }
  // The epoch while this member holds the leadership key (also while it
  // prepares to act, before Acting()); 0 otherwise.
  int64_t HeldEpoch() const;

 private:
  void Run();
  // One round: renew (or get) the lease, then campaign or check the key.
  void Round();
  void Renew();
  void Campaign();
  void Heartbeat();
  void BecomeLeader(int64_t epoch, absl::Time acting_until) ABSL_LOCKS_EXCLUDED(mu_);
  void StepDown(const std::string& why) ABSL_LOCKS_EXCLUDED(mu_);
  std::string MemberValue() const;
  void Warn(const std::string& what);

  HaOptions options_;         // member and address filled in by Start
  const Clock* const clock_;  // wall times in heartbeats; leases use the steady clock
  const std::string prefix_;
  const absl::Duration margin_;
  mutable EtcdClient etcd_;
  OnChange on_change_;
  Prepare prepare_;
  std::function<int64_t()> last_stored_ms_;

  // The election thread's own state (only it touches these).
  int64_t lease_ = 0;
  absl::Time lease_until_ = absl::InfinitePast();
  absl::Time next_renew_ = absl::InfinitePast();
  absl::Time next_heartbeat_ = absl::InfinitePast();
  absl::Time last_warning_at_ = absl::InfinitePast();
  int suppressed_warnings_ = 0;

  mutable Mutex mu_;
  std::condition_variable cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool leader_ ABSL_GUARDED_BY(mu_) = false;
  int64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t held_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time acting_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string hint_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace rollguard::collector
