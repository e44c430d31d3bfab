#include "tests/bench/bench_tls.h"

#include "common/files.h"
#include "common/tls/grpc_tls.h"
#include "common/tls/identity.h"
#include "common/tls/pki.h"

namespace rollguard::bench {

void AddTlsFlags(CLI::App& app, BenchTls* tls) {
  app.add_option("--tls-pki", tls->pki_dir,
                 "a `rollguard pki` folder: each simulated host gets its own agent certificate "
                 "from its CA");
  app.add_option("--tls-ca", tls->ca, "CA of the collector's certificate");
  app.add_option("--tls-cert", tls->cert, "one agent certificate for every stream");
  app.add_option("--tls-key", tls->key, "its key");
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> AgentCredentials(
    const BenchTls& tls, const std::string& host_id) {
  if (tls.pki_dir.empty()) return MakeChannelCredentials(TlsFiles{tls.ca, tls.cert, tls.key});
  absl::StatusOr<std::string> ca_cert = ReadFile(tls.pki_dir + "/ca.crt");
  absl::StatusOr<std::string> ca_key = ReadFile(tls.pki_dir + "/ca.key");
  if (!ca_cert.ok()) return ca_cert.status();
  if (!ca_key.ok()) return ca_key.status();
  CertificateRequest req;
  req.common_name = host_id;
  req.uris = {AgentUri(host_id)};
  req.client = true;
  req.not_before = absl::Now() - absl::Minutes(5);
  req.not_after = absl::Now() + absl::Hours(24);
  absl::StatusOr<KeyAndCertificate> issued =
      IssueCertificate(KeyAndCertificate{*ca_key, *ca_cert}, req);
  if (!issued.ok()) return issued.status();
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = *ca_cert;
  o.pem_cert_chain = issued->cert_pem;
  o.pem_private_key = issued->key_pem;
  return grpc::SslCredentials(o);
}

}  // namespace rollguard::bench
