// A real etcd (Debian's etcd-server) for HA tests: one member on two free
// loopback ports, its data in the test's folder. Killed with the test.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/support/process.h"

namespace rollguard::testing {

// https for the client URL, clients authenticated by certificate.
struct EtcdTls {
  std::string ca;    // signs the clients' certificates (and etcd's own)
  std::string cert;  // etcd's server certificate (127.0.0.1 in its names)
  std::string key;
  // A client certificate the test's own readiness check uses.
  std::string client_cert;
  std::string client_key;
};

class EtcdUnderTest {
 public:
  // Starts /usr/bin/etcd under `work_dir` and waits until it answers.
  static absl::StatusOr<std::unique_ptr<EtcdUnderTest>> Start(const std::string& work_dir,
                                                              const EtcdTls* tls = nullptr);

  // "http://127.0.0.1:PORT" (https with TLS)
  const std::string& url() const { return url_; }
  ChildProcess& process() { return *process_; }

 private:
  std::unique_ptr<ChildProcess> process_;
  std::string url_;
};

}  // namespace rollguard::testing
