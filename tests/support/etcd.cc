#include "tests/support/etcd.h"

#include <signal.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "tests/support/fleet.h"

namespace rollguard::testing {

absl::StatusOr<std::unique_ptr<EtcdUnderTest>> EtcdUnderTest::Start(const std::string& work_dir,
                                                                    const EtcdTls* tls) {
  constexpr char kEtcd[] = "/usr/bin/etcd";
  if (access(kEtcd, X_OK) != 0) {
    return absl::FailedPreconditionError(
        "no /usr/bin/etcd: install Debian's etcd-server (scripts/setup.sh does)");
  }
  auto e = std::unique_ptr<EtcdUnderTest>(new EtcdUnderTest());
  // Two ports picked free a moment ago; a clash (rare) fails the start,
  // and the retry picks others.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int client = PickFreeTcpPort();
    const int peer = PickFreeTcpPort();
    const std::string client_url =
        absl::StrCat(tls != nullptr ? "https" : "http", "://127.0.0.1:", client);
    const std::string peer_url = absl::StrCat("http://127.0.0.1:", peer);
    std::vector<std::string> argv = {kEtcd,
                                     "--name",
                                     "test",
                                     "--data-dir",
                                     absl::StrCat(work_dir, "/etcd-", attempt),
                                     "--listen-client-urls",
                                     client_url,
                                     "--advertise-client-urls",
                                     client_url,
                                     "--listen-peer-urls",
                                     peer_url,
                                     "--initial-advertise-peer-urls",
                                     peer_url,
                                     "--initial-cluster",
                                     absl::StrCat("test=", peer_url),
                                     "--log-level",
                                     "warn"};
    std::vector<std::string> curl = {"/usr/bin/curl", "-sS", "--max-time", "1", "-X", "POST"};
    if (tls != nullptr) {
      argv.insert(argv.end(), {"--cert-file", tls->cert, "--key-file", tls->key,
                               "--client-cert-auth", "--trusted-ca-file", tls->ca});
      curl.insert(curl.end(),
                  {"--cacert", tls->ca, "--cert", tls->client_cert, "--key", tls->client_key});
    }
    auto p = ChildProcess::Start(argv, absl::StrCat(work_dir, "/etcd.log"));
    if (!p.ok()) return p.status();
    curl.insert(curl.end(), {client_url + "/v3/kv/range", "-d", "{\"key\":\"AA==\"}"});
    bool up = WaitFor(
        [&] {
          CommandResult r = RunCommand(curl);
          return r.exit_code == 0 && r.out.find("header") != std::string::npos;
        },
        absl::Seconds(15));
    if (up) {
      e->process_ = std::move(*p);
      e->url_ = client_url;
      return e;
    }
    (*p)->Signal(SIGKILL);
  }
  return absl::DeadlineExceededError(
      absl::StrCat("etcd did not start: ", ReadTextFile(work_dir + "/etcd.log")));
}

}  // namespace rollguard::testing
