// The collector's own health as Prometheus metrics (GET /metrics on the HTTP
// listener): streams, ingest and its refusals, storage, notifications per
// receiver, commands, rollouts, incidents, alerts and remote write. Names follow
// Prometheus' conventions (rollguard_ prefix, _total counters, seconds and
// bytes); `promtool check metrics` reports nothing on the page.
#pragma once

#include <map>
#include <string>

#include "common/mutex.h"
#include "rollguard/v1/commands.pb.h"

namespace rollguard::collector {

class Alerting;
class CommandManager;
class HostRegistry;
class LeaderElection;
class Remediator;
class RemoteWriters;
class RolloutManager;
class Storage;
struct IngestStats;

// Commands that reached a final state since start, by state (a command
// manager listener feeds it). Thread-safe.
class CommandOutcomes {
 public:
  void Count(const rollguard::v1::CommandRecord& record);
  std::map<std::string, uint64_t> Snapshot() const;

 private:
  mutable Mutex mu_;
  std::map<std::string, uint64_t> by_state_ ABSL_GUARDED_BY(mu_);
};

// What the page reads; every pointer is required.
struct MetricsSources {
  const IngestStats* ingest = nullptr;
  const Storage* storage = nullptr;
  const HostRegistry* registry = nullptr;
  const Alerting* alerting = nullptr;
  const CommandManager* commands = nullptr;
  const RolloutManager* rollouts = nullptr;
  const Remediator* remediator = nullptr;
  const CommandOutcomes* outcomes = nullptr;
  const RemoteWriters* remote_write = nullptr;
  int64_t started_ms = 0;
  // Null: no HA (the rollguard_ha_* families are left out).
  const LeaderElection* election = nullptr;
};

// The page, in the text exposition format.
std::string RenderMetrics(const MetricsSources& s);

}  // namespace rollguard::collector
