// Making certificates (OpenSSL): a CA, and certificates it signs for the
// collector (server), agents and users (clients). ECDSA P-256 keys, SHA-256
// signatures. Used by `rollguard pki` and by tests that need odd certificates
// (expired, from another CA).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace rollguard {

struct KeyAndCertificate {
  std::string key_pem;
  std::string cert_pem;
};

struct CertificateRequest {
  std::string common_name;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;  // IPv4 or IPv6 text
  std::vector<std::string> uris;
  absl::Time not_before;
  absl::Time not_after;
  bool server = false;  // extendedKeyUsage serverAuth
  bool client = false;  // extendedKeyUsage clientAuth
};

[[nodiscard]] absl::StatusOr<KeyAndCertificate> CreateCertificateAuthority(
    const std::string& common_name, absl::Time not_before, absl::Time not_after);

// A new key and a certificate for it, signed by `ca`.
[[nodiscard]] absl::StatusOr<KeyAndCertificate> IssueCertificate(const KeyAndCertificate& ca,
                                                                 const CertificateRequest& req);

// `bytes` random bytes from OpenSSL's CSPRNG, as lowercase hex.
[[nodiscard]] absl::StatusOr<std::string> RandomHex(size_t bytes);

}  // namespace rollguard
