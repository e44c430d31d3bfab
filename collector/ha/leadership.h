// Who may act. With one collector it always may; in an HA pair only the
// leader elected through etcd may, and only while its lease surely holds
// (collector/ha/leader_election.h). Everything that acts on the world
// (dispatching commands, notifying, automation, driving rollouts, operator
// writes) asks Acting() right before it acts; everything else (ingest, rule
// evaluation, reads) runs on every member.
#pragma once

#include <cstdint>
#include <string>

namespace rollguard::collector {

class Leadership {
 public:
  virtual ~Leadership() = default;
  // True while this collector may act.
  virtual bool Acting() const = 0;
  // The leader's epoch, stamped on every command so agents can refuse a
  // deposed leader's (0: no HA, no fencing).
  virtual int64_t Epoch() const = 0;
  // For refusals: who leads instead ("b at 10.0.0.2:7700"), or "".
  virtual std::string LeaderHint() const = 0;
};

// The single collector: always acting, epoch 0.
class SoleLeader final : public Leadership {
 public:
  bool Acting() const override { return true; }
  int64_t Epoch() const override { return 0; }
  std::string LeaderHint() const override { return ""; }
  static const SoleLeader* Get() {
    static const SoleLeader kSole;
    return &kSole;
  }
};

}  // namespace rollguard::collector
