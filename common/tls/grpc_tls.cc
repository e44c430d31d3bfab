#include "common/tls/grpc_tls.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/files.h"
#include "common/tls/certificate.h"

namespace rollguard {
namespace {

absl::StatusOr<std::string> ReadNamed(const std::string& path, const std::string& flag) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok())
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", text.status().message()));
  return text;
}

unsigned int IntervalSeconds(absl::Duration d) {
  return static_cast<unsigned int>(std::max<int64_t>(1, absl::ToInt64Seconds(d)));
}

}  // namespace

absl::StatusOr<std::string> CheckTlsFiles(const TlsFiles& files, bool need_identity,
                                          const std::string& flag_prefix) {
  const std::string ca_flag = flag_prefix + "ca", cert_flag = flag_prefix + "cert",
                    key_flag = flag_prefix + "key";
  if (files.ca.empty())
    return absl::InvalidArgumentError(absl::StrCat(ca_flag, " is required for TLS"));
  if (files.cert.empty() != files.key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(cert_flag, " and ", key_flag, " go together"));
  }
  if (need_identity && files.cert.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(cert_flag, " and ", key_flag, " are required"));
  }
  absl::StatusOr<std::string> ca = ReadNamed(files.ca, ca_flag);
  if (!ca.ok()) return ca.status();
  absl::StatusOr<CertificateInfo> ca_info = ParseCertificatePem(*ca);
  if (!ca_info.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(ca_flag, " ", files.ca, ": ", ca_info.status().message()));
  }
  if (files.cert.empty())
    return absl::StrCat("CA ", ca_info->subject_cn, " (no client certificate)");
  absl::StatusOr<std::string> cert = ReadNamed(files.cert, cert_flag);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadNamed(files.key, key_flag);
  if (!key.ok()) return key.status();
  absl::StatusOr<CertificateInfo> info = ParseCertificatePem(*cert);
  if (!info.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(cert_flag, " ", files.cert, ": ", info.status().message()));
  }
  if (absl::Status s = CheckKeyMatchesCertificate(*cert, *key); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(key_flag, " ", files.key, ": ", s.message(), " ", files.cert));
  }
  if (info->not_after < absl::Now()) {
    return absl::InvalidArgumentError(
        absl::StrCat(cert_flag, " ", files.cert, ": expired on ",
                     absl::FormatTime("%Y-%m-%d %H:%M UTC", info->not_after, absl::UTCTimeZone())));
  }
  std::vector<std::string> names = info->uris;
  names.insert(names.end(), info->dns_names.begin(), info->dns_names.end());
  names.insert(names.end(), info->ip_addresses.begin(), info->ip_addresses.end());
  return absl::StrCat("certificate ", info->subject_cn, " [", absl::StrJoin(names, ", "),
                      "] serial ", info->serial_hex, ", expires ",
                      absl::FormatTime("%Y-%m-%d", info->not_after, absl::UTCTimeZone()), "; CA ",
                      ca_info->subject_cn, "; files re-read every ",
                      absl::FormatDuration(files.reload_interval));
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files) {
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      files.key, files.cert, files.ca, IntervalSeconds(files.reload_interval));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  // Operators may come with a bearer token instead of a certificate; the
  // services refuse calls that lack the identity they need.
  options.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  std::shared_ptr<grpc::ServerCredentials> creds =
      grpc::experimental::TlsServerCredentials(options);
  if (!creds) return absl::InternalError("gRPC refused the TLS server options");
  return creds;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsFiles& files) {
  if (!files.enabled()) return grpc::InsecureChannelCredentials();
  // The classic SSL credentials, read once: gRPC 1.51's TlsCredentials with a
  // file-watching provider wedged a channel whose server had restarted (every
  // later handshake timed out in check_peer). A rotated certificate therefore
  // takes a new channel; the agent makes one when the files change.
  grpc::SslCredentialsOptions o;
  absl::StatusOr<std::string> ca = ReadNamed(files.ca, "--tls-ca");
  if (!ca.ok()) return ca.status();
  o.pem_root_certs = *ca;
  if (!files.cert.empty()) {
    absl::StatusOr<std::string> cert = ReadNamed(files.cert, "--tls-cert");
    absl::StatusOr<std::string> key = ReadNamed(files.key, "--tls-key");
    if (!cert.ok()) return cert.status();
    if (!key.ok()) return key.status();
    o.pem_cert_chain = *cert;
    o.pem_private_key = *key;
  }
  return grpc::SslCredentials(o);
}

}  // namespace rollguard
