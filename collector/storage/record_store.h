// Small keyed records beside the time series: alert states, alert history,
// silences, commands, rollouts, the audit log, incidents, hosts. One table per kind, each a RocksDB
// column family, keys ordered bytewise so a prefix or time range is one scan.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rollguard::collector {

enum class Table {
  kAlerts,
  kAlertEvents,
  kSilences,
  kCommands,
  kRollouts,
  kAudit,
  kIncidents,
  kHosts,           // the host registry's records, by host id
  kRolloutHosts,    // "<rollout id>\0<host id>" -> the host's command id
  kCommandsByHost,  // "<host id>\0<command id>" -> "" (ids sort by creation time)
};
inline constexpr int kTableCount = 10;
// The column family holding each table, in enum order.
inline constexpr const char* kTableNames[kTableCount] = {
    "alerts", "alert_events", "silences", "commands",      "rollouts",
    "audit",  "incidents",    "hosts",    "rollout_hosts", "commands_by_host"};

// Thread-safe.
class RecordStore {
 public:
  virtual ~RecordStore() = default;
  [[nodiscard]] virtual absl::Status Put(Table table, absl::string_view key,
                                         absl::string_view value) = 0;
  [[nodiscard]] virtual absl::Status Delete(Table table, absl::string_view key) = 0;
  // Calls fn(key, value) for each key in [start, end) in order ("" end = to the
  // last key) until fn returns false.
  [[nodiscard]] virtual absl::Status Scan(
      Table table, absl::string_view start, absl::string_view end,
      const std::function<bool(absl::string_view key, absl::string_view value)>& fn) const = 0;
};

}  // namespace rollguard::collector
