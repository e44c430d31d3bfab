// Which hosts exist, whether their agent is connected, when each was last seen.
// Kept in memory for the API, persisted through Storage so it survives restarts
// (every host comes back as offline until its agent reconnects).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "collector/storage/storage.h"
#include "common/clock.h"
#include "common/labels.h"
#include "common/mutex.h"
#include "rollguard/v1/admin_service.pb.h"
#include "rollguard/v1/agent_service.pb.h"

namespace rollguard::collector {

// Thread-safe.
class HostRegistry {
 public:
  HostRegistry(Storage* storage, const Clock* clock);

  // Loads persisted hosts, all marked offline.
  [[nodiscard]] absl::Status Load();

  // An agent stream said hello. Persists the record. ResourceExhausted (and
  // nothing changed) when the host already has `max_streams` streams open;
  // when persisting fails the stream is not counted either (no OnDisconnect
  // follows a refused hello).
  [[nodiscard]] absl::Status OnConnect(const rollguard::v1::Hello& hello,
                                       size_t max_streams = SIZE_MAX);
  // Any message from the host; a heartbeat also carries buffer figures.
  void OnSeen(const std::string& host_id, const rollguard::v1::Heartbeat* heartbeat);
  // Samples of the host refused for their timestamps (kept in memory).
  void OnRefused(const std::string& host_id, uint32_t samples, const std::string& reason);
  // A stream of the host ended. Persists the record.
  void OnDisconnect(const std::string& host_id);

  // Forgets a host that is not connected (its record too). NotFound for an
  // unknown host, FailedPrecondition while its agent streams.
  [[nodiscard]] absl::Status Remove(const std::string& host_id);

  // Writes records whose last_seen changed since the last flush.
  [[nodiscard]] absl::Status Flush();

  std::vector<rollguard::v1::HostStatus> List() const;
  bool Known(const std::string& host_id) const;
  size_t Count() const;
  // Hosts with an agent stream open now.
  size_t ConnectedCount() const;
  // Hosts connected now or seen within `within`: the fleet that is really
  // there (decommissioned hosts are neither).
  size_t CountActive(absl::Duration within) const;
  Labels LabelsOf(const std::string& host_id) const;

 private:
  // Writes one host record (Table::kHosts, by host id).
  [[nodiscard]] absl::Status Save(const rollguard::v1::HostStatus& host);
  struct Entry {
    rollguard::v1::HostStatus status;
    int streams = 0;  // >1 means two agents claim one host id: logged
    bool dirty = false;
  };

  Storage* const storage_;
  const Clock* const clock_;
  // Held from reading a record to writing it (taken before mu_), so records
  // reach storage in the order of the states they carry: a Flush that read a
  // host just before `hosts rm` cannot write it back after the delete, and an
  // older snapshot never overwrites a newer one.
  Mutex save_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable Mutex mu_;
  std::map<std::string, Entry> hosts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rollguard::collector
