// A small client of etcd v3's JSON gateway (Debian's etcd-server 3.4 serves
// it on the client URL): leases, a create-if-absent transaction, guarded
// puts, reads by key and prefix. Over libcurl, one request at a time per
// call; each call tries the endpoints in turn, starting with the one that
// answered last. 64-bit numbers travel as JSON strings and keys and values
// as base64, as the gateway wants.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/mutex.h"

namespace rollguard::collector {

struct EtcdKv {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t lease = 0;
};

// Thread-safe.
class EtcdClient {
 public:
  // `endpoints`: "http://host:port" each; `timeout` bounds each request.
  // For https endpoints: `ca` (empty: the system's), and a client `cert`
  // and `key` when etcd authenticates clients.
  EtcdClient(std::vector<std::string> endpoints, absl::Duration timeout, std::string ca = "",
             std::string cert = "", std::string key = "");

  // A new lease; returns its id.
  [[nodiscard]] absl::StatusOr<int64_t> Grant(absl::Duration ttl);
  // Renews the lease; returns the TTL it now has, or 0 when it has expired.
  [[nodiscard]] absl::StatusOr<int64_t> KeepAlive(int64_t lease);
  // Seconds the lease has left; -1 when it has expired.
  [[nodiscard]] absl::StatusOr<int64_t> TimeToLive(int64_t lease);
  [[nodiscard]] absl::Status Revoke(int64_t lease);

  struct CreateResult {
    bool created = false;
    int64_t revision = 0;          // created: the key's create revision
    std::optional<EtcdKv> holder;  // not created: the key as it is
  };
  // Creates `key` bound to `lease` only if it does not exist (one
  // transaction: two callers cannot both create it).
  [[nodiscard]] absl::StatusOr<CreateResult> CreateIfAbsent(const std::string& key,
                                                            const std::string& value,
                                                            int64_t lease);
  [[nodiscard]] absl::StatusOr<std::optional<EtcdKv>> Get(const std::string& key);
  // Every key under `prefix`, read in pages at one revision.
  [[nodiscard]] absl::StatusOr<std::vector<EtcdKv>> GetPrefix(const std::string& prefix);
  // lease 0: none. Returns the revision of the write.
  [[nodiscard]] absl::StatusOr<int64_t> Put(const std::string& key, const std::string& value,
                                            int64_t lease = 0);
  // Writes (or with nullopt deletes) `key` only while `guard_key` still has
  // create revision `guard_revision`: a leader that lost its key can no
  // longer write. Returns false when the guard failed.
  [[nodiscard]] absl::StatusOr<bool> PutIfHeld(const std::string& guard_key, int64_t guard_revision,
                                               const std::string& key,
                                               const std::optional<std::string>& value);

  // Several puts in one guarded transaction (etcd takes up to 128 by
  // default): all or none.
  [[nodiscard]] absl::StatusOr<bool> PutManyIfHeld(
      const std::string& guard_key, int64_t guard_revision,
      const std::vector<std::pair<std::string, std::string>>& puts);

  const std::vector<std::string>& endpoints() const { return endpoints_; }

 private:
  // POSTs `body` (JSON) to `path` on the first endpoint that answers;
  // returns the answer's JSON text.
  absl::StatusOr<std::string> Call(const std::string& path, const std::string& body);

  const std::vector<std::string> endpoints_;
  const absl::Duration timeout_;
  const std::string ca_, cert_, key_;
  Mutex mu_;
  size_t preferred_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace rollguard::collector
