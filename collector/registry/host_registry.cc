#include "collector/registry/host_registry.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "collector/storage/record_messages.h"
#include "common/mutex.h"
#include "common/status_macros.h"

namespace rollguard::collector {

HostRegistry::HostRegistry(Storage* storage, const Clock* clock)
    : storage_(storage), clock_(clock) {}

absl::Status HostRegistry::Load() {
  MutexLock lock(&mu_);
  size_t unparsable = 0;
  RETURN_IF_ERROR(ScanMessages<rollguard::v1::HostStatus>(
      storage_->records(), Table::kHosts, "", "",
      [&](rollguard::v1::HostStatus&& h) {
        mu_.AssertHeld();  // called here, under the lock
        Entry e;
        e.status = std::move(h);
        e.status.set_connected(false);
        std::string id = e.status.host_id();
        hosts_[id] = std::move(e);
        return true;
      },
      &unparsable));
  if (unparsable > 0)
    spdlog::error("host registry: {} undecodable host records skipped", unparsable);
  return absl::OkStatus();
}

absl::Status HostRegistry::Save(const rollguard::v1::HostStatus& host) {
  return storage_->records().Put(Table::kHosts, host.host_id(), host.SerializeAsString());
}

absl::Status HostRegistry::OnConnect(const rollguard::v1::Hello& hello, size_t max_streams) {
  MutexLock save(&save_mu_);
  rollguard::v1::HostStatus snapshot;
  {
    MutexLock lock(&mu_);
    auto found = hosts_.find(hello.host_id());
    if (found != hosts_.end() && static_cast<size_t>(found->second.streams) >= max_streams) {
      return absl::ResourceExhaustedError(
          absl::StrCat("host '", hello.host_id(), "' already has ", found->second.streams,
                       " agent streams open (ingest.max_streams_per_host is ", max_streams,
                       "): is another agent using this host id?"));
    }
    Entry& e = hosts_[hello.host_id()];
    int64_t now = clock_->NowMs();
    auto& s = e.status;
    if (s.host_id().empty()) s.set_first_seen_ms(now);
    s.set_host_id(hello.host_id());
    s.mutable_labels()->clear();
    s.mutable_labels()->insert(hello.labels().begin(), hello.labels().end());
    s.set_agent_version(hello.agent_version());
    s.set_connected(true);
    s.set_last_seen_ms(now);
    if (hello.agent_time_ms() != 0) {
      s.set_clock_skew_ms(hello.agent_time_ms() - now);
    } else {
      s.clear_clock_skew_ms();
    }
    if (++e.streams > 1) {
      spdlog::warn("host '{}' has {} agent streams at once: two agents may share one host id",
                   hello.host_id(), e.streams);
    }
    e.dirty = false;
    snapshot = s;
  }
  absl::Status saved = Save(snapshot);
  if (!saved.ok()) {
    // The stream is refused, so no OnDisconnect will come for it: take it
    // back now (a full disk would otherwise leave the host "streaming" and
    // soon over max_streams for good).
    MutexLock lock(&mu_);
    Entry& e = hosts_[hello.host_id()];
    if (e.streams > 0) --e.streams;
    e.status.set_connected(e.streams > 0);
    e.dirty = true;
  }
  return saved;
}

void HostRegistry::OnRefused(const std::string& host_id, uint32_t samples,
                             const std::string& reason) {
  MutexLock lock(&mu_);
  auto it = hosts_.find(host_id);
  if (it == hosts_.end()) return;
  auto& s = it->second.status;
  s.set_samples_refused(s.samples_refused() + samples);
  s.set_last_refused_reason(reason);
}

void HostRegistry::OnSeen(const std::string& host_id, const rollguard::v1::Heartbeat* hb) {
  MutexLock lock(&mu_);
  auto it = hosts_.find(host_id);
  if (it == hosts_.end()) return;
  it->second.status.set_last_seen_ms(clock_->NowMs());
  if (hb != nullptr) {
    it->second.status.set_buffered_samples(hb->buffered_samples());
    it->second.status.set_dropped_samples(hb->dropped_samples());
  }
  it->second.dirty = true;
}

void HostRegistry::OnDisconnect(const std::string& host_id) {
  MutexLock save(&save_mu_);
  rollguard::v1::HostStatus snapshot;
  {
    MutexLock lock(&mu_);
    auto it = hosts_.find(host_id);
    if (it == hosts_.end()) return;
    Entry& e = it->second;
    if (e.streams > 0) --e.streams;
    e.status.set_connected(e.streams > 0);
    e.status.set_last_seen_ms(clock_->NowMs());
    e.dirty = false;
    snapshot = e.status;
  }
  if (absl::Status s = Save(snapshot); !s.ok()) {
    spdlog::error("saving host '{}': {}", host_id, s.ToString());
  }
}

absl::Status HostRegistry::Flush() {
  MutexLock save(&save_mu_);
  std::vector<rollguard::v1::HostStatus> dirty;
  {
    MutexLock lock(&mu_);
    for (auto& [id, e] : hosts_) {
      if (e.dirty) {
        dirty.push_back(e.status);
        e.dirty = false;
      }
    }
  }
  for (const auto& h : dirty) RETURN_IF_ERROR(Save(h));
  return absl::OkStatus();
}

std::vector<rollguard::v1::HostStatus> HostRegistry::List() const {
  MutexLock lock(&mu_);
  std::vector<rollguard::v1::HostStatus> out;
  out.reserve(hosts_.size());
  for (const auto& [id, e] : hosts_) out.push_back(e.status);
  return out;
}

absl::Status HostRegistry::Remove(const std::string& host_id) {
  MutexLock save(&save_mu_);
  {
    MutexLock lock(&mu_);
    auto it = hosts_.find(host_id);
    if (it == hosts_.end()) {
      return absl::NotFoundError(absl::StrCat("no host '", host_id, "'"));
    }
    if (it->second.status.connected()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "host '", host_id, "' is connected: stop its agent first (it would come back)"));
    }
    hosts_.erase(it);
  }
  return storage_->records().Delete(Table::kHosts, host_id);
}

size_t HostRegistry::ConnectedCount() const {
  MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [id, e] : hosts_) n += e.status.connected() ? 1 : 0;
  return n;
}

size_t HostRegistry::Count() const {
  MutexLock lock(&mu_);
  return hosts_.size();
}

size_t HostRegistry::CountActive(absl::Duration within) const {
  MutexLock lock(&mu_);
  const int64_t since = clock_->NowMs() - absl::ToInt64Milliseconds(within);
  size_t n = 0;
  for (const auto& [id, e] : hosts_) {
    n += e.status.connected() || e.status.last_seen_ms() >= since;
  }
  return n;
}

bool HostRegistry::Known(const std::string& host_id) const {
  MutexLock lock(&mu_);
  return hosts_.count(host_id) > 0;
}

}  // namespace rollguard::collector

namespace rollguard::collector {

Labels HostRegistry::LabelsOf(const std::string& host_id) const {
  MutexLock lock(&mu_);
  auto it = hosts_.find(host_id);
  if (it == hosts_.end()) return {};
  return Labels(it->second.status.labels().begin(), it->second.status.labels().end());
}

}  // namespace rollguard::collector
