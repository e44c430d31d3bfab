// The collector's `ha:` section: where etcd is and how long a leader's lease
// lasts. Absent: one collector, always leading (SoleLeader).
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace rollguard::collector {

struct HaOptions {
  std::vector<std::string> etcd;  // client URLs, "http://127.0.0.1:2379"
  // https to etcd: the CA that signed etcd's certificate, and this
  // collector's client certificate and key when etcd asks for one.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  // A leader that cannot renew its lease stops acting before it expires;
  // a follower takes over within ttl (plus one poll) of the leader's death.
  absl::Duration ttl = absl::Seconds(10);
  // Keys live under "/rollguard/<cluster>/": several pairs can share an etcd.
  std::string cluster = "default";
  // This member's name (unique in the cluster) and the address operators and
  // agents reach it at; defaults: "<hostname>:<port>" and the gRPC listener.
  std::string member;
  std::string address;
  // How often a follower looks for a vacant leadership, and a leader checks
  // it still holds it.
  absl::Duration poll = absl::Milliseconds(250);

  bool enabled() const { return !etcd.empty(); }
};

}  // namespace rollguard::collector
