// TLS for the load tools (rollguard-loadgen, rollguard-fleet-sim), which
// simulate many agents, each of which needs a certificate naming its own
// host id: --tls-pki DIR issues one per simulated host in memory from DIR's CA
// (`rollguard pki init --dir DIR`); --tls-ca/--tls-cert/--tls-key use one
// identity for every stream (a single simulated host).
#pragma once

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace rollguard::bench {

struct BenchTls {
  std::string pki_dir;
  std::string ca, cert, key;
};

void AddTlsFlags(CLI::App& app, BenchTls* tls);

// Credentials for the simulated agent `host_id` (plaintext without flags).
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> AgentCredentials(
    const BenchTls& tls, const std::string& host_id);

}  // namespace rollguard::bench
