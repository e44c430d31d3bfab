#include "collector/ha/replicated_records.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace rollguard::collector {
namespace {

// Marks that the cluster's control records have been seeded (by whom).
constexpr char kSeededKey[] = "seeded";

}  // namespace

ReplicatedRecords::ReplicatedRecords(RecordStore* local, const LeaderElection* election)
    : local_(local), election_(election) {}

bool ReplicatedRecords::Replicated(Table table) {
  switch (table) {
    case Table::kSilences:
    case Table::kCommands:
    case Table::kRollouts:
    case Table::kAudit:
    case Table::kIncidents:
    case Table::kRolloutHosts:
    case Table::kCommandsByHost:
    case Table::kAlerts:  // for the "notified" marks
      return true;
    case Table::kAlertEvents:  // each member's own evaluation history
    case Table::kHosts:        // each member's own view of its streams
      return false;
  }
  return false;
}

std::string ReplicatedRecords::TablePrefix(Table table) const {
  return absl::StrCat(election_->RecordsPrefix(), kTableNames[static_cast<int>(table)], "/");
}

std::string ReplicatedRecords::EtcdKey(Table table, absl::string_view key) const {
  return absl::StrCat(TablePrefix(table), key);
}

absl::Status ReplicatedRecords::WriteThrough(Table table, absl::string_view key,
                                             const std::optional<std::string>& value) {
  if (!Replicated(table)) return absl::OkStatus();
  const int64_t epoch = election_->HeldEpoch();
  if (epoch == 0) return absl::OkStatus();  // a follower's own copy
  absl::StatusOr<bool> held =
      election_->etcd()->PutIfHeld(election_->LeaderKey(), epoch, EtcdKey(table, key), value);
  if (!held.ok()) {
    // Not UNAVAILABLE: a client would take that for "never reached" and try
    // the other member. etcd may have taken it (a timeout after the write).
    return absl::AbortedError(
        absl::StrCat("storing a ", kTableNames[static_cast<int>(table)],
                     " record through etcd failed, and etcd may or may not have it (",
                     held.status().message(), "): check before trying again"));
  }
  if (!*held) {
    return absl::FailedPreconditionError(
        absl::StrCat(kNotLeaderPrefix, ": this member lost the leadership (epoch ", epoch,
                     ") before it could store a ", kTableNames[static_cast<int>(table)],
                     " record; nothing was done"));
  }
  return absl::OkStatus();
}

absl::Status ReplicatedRecords::Put(Table table, absl::string_view key, absl::string_view value) {
  RETURN_IF_ERROR(WriteThrough(table, key, std::string(value)));
  return local_->Put(table, key, value);
}

absl::Status ReplicatedRecords::Delete(Table table, absl::string_view key) {
  RETURN_IF_ERROR(WriteThrough(table, key, std::nullopt));
  return local_->Delete(table, key);
}

absl::Status ReplicatedRecords::Scan(
    Table table, absl::string_view start, absl::string_view end,
    const std::function<bool(absl::string_view, absl::string_view)>& fn) const {
  return local_->Scan(table, start, end, fn);
}

absl::Status ReplicatedRecords::Seed(int64_t epoch, const std::function<void()>& keep_alive,
                                     Pulled* out) {
  EtcdClient* etcd = election_->etcd();
  // 100 records a transaction (etcd takes up to 128 operations in one).
  constexpr size_t kBatch = 100;
  std::vector<std::pair<std::string, std::string>> batch;
  auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(bool held, etcd->PutManyIfHeld(election_->LeaderKey(), epoch, batch));
    if (!held) return absl::FailedPreconditionError("lost the leadership while seeding");
    out->written += batch.size();
    batch.clear();
    if (keep_alive) keep_alive();
    return absl::OkStatus();
  };
  for (int t = 0; t < kTableCount; ++t) {
    const Table table = static_cast<Table>(t);
    if (!Replicated(table)) continue;
    absl::Status failed = absl::OkStatus();
    RETURN_IF_ERROR(local_->Scan(table, "", "", [&](absl::string_view k, absl::string_view v) {
      batch.emplace_back(EtcdKey(table, k), std::string(v));
      if (batch.size() >= kBatch) failed = flush();
      return failed.ok();
    }));
    RETURN_IF_ERROR(failed);
  }
  RETURN_IF_ERROR(flush());
  ASSIGN_OR_RETURN(bool held, etcd->PutIfHeld(election_->LeaderKey(), epoch,
                                              election_->RecordsPrefix() + kSeededKey, "seeded"));
  if (!held) return absl::FailedPreconditionError("lost the leadership while seeding");
  out->seeded = true;
  return absl::OkStatus();
}

absl::StatusOr<ReplicatedRecords::Pulled> ReplicatedRecords::PullFromEtcd(
    int64_t epoch, const std::function<void()>& keep_alive) {
  Pulled out;
  EtcdClient* etcd = election_->etcd();
  ASSIGN_OR_RETURN(std::optional<EtcdKv> seeded,
                   etcd->Get(election_->RecordsPrefix() + kSeededKey));
  if (!seeded.has_value()) {
    // The cluster's first leader: its records become the cluster's (so
    // start the collector that has history first when turning HA on).
    RETURN_IF_ERROR(Seed(epoch, keep_alive, &out));
    return out;
  }
  for (int t = 0; t < kTableCount; ++t) {
    const Table table = static_cast<Table>(t);
    if (!Replicated(table)) continue;
    const std::string prefix = TablePrefix(table);
    ASSIGN_OR_RETURN(std::vector<EtcdKv> kvs, etcd->GetPrefix(prefix));
    if (keep_alive) keep_alive();
    if (table == Table::kAlerts) {
      // The follower's engine has its own alert states; only the old
      // leader's notices matter (handed back for the engine to merge).
      for (const EtcdKv& kv : kvs) {
        rollguard::v1::Alert a;
        if (a.ParseFromString(kv.value)) out.leader_alerts.push_back(std::move(a));
      }
      continue;
    }
    std::map<std::string, std::string> wanted;
    for (EtcdKv& kv : kvs) {
      if (!absl::StartsWith(kv.key, prefix)) continue;  // not asked for: ignored
      wanted.emplace(kv.key.substr(prefix.size()), std::move(kv.value));
    }
    std::vector<std::string> stale;
    std::set<std::string> same;
    RETURN_IF_ERROR(local_->Scan(table, "", "", [&](absl::string_view k, absl::string_view v) {
      auto it = wanted.find(std::string(k));
      if (it == wanted.end()) {
        stale.emplace_back(k);
      } else if (it->second == v) {
        same.insert(it->first);
      }
      return true;
    }));
    // The audit log only grows: what this member recorded as follower
    // (refusals) stays in its own copy.
    if (table == Table::kAudit) stale.clear();
    for (const std::string& k : stale) {
      RETURN_IF_ERROR(local_->Delete(table, k));
      ++out.deleted;
    }
    for (const auto& [k, v] : wanted) {
      if (same.contains(k)) continue;
      RETURN_IF_ERROR(local_->Put(table, k, v));
      ++out.written;
    }
    if (keep_alive) keep_alive();
  }
  return out;
}

}  // namespace rollguard::collector
