// Reading certificates and keys (OpenSSL): what a PEM certificate says, and
// whether a key belongs to it. Used to check TLS files at start-up, so a bad
// file is a clear error naming it instead of a failed handshake later.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace rollguard {

struct CertificateInfo {
  std::string subject_cn;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::vector<std::string> uris;
  absl::Time not_before;
  absl::Time not_after;
  std::string serial_hex;
  bool is_ca = false;
};

// The first certificate in `pem`.
[[nodiscard]] absl::StatusOr<CertificateInfo> ParseCertificatePem(absl::string_view pem);

// OK when `key_pem` is the private key of `cert_pem`'s public key.
[[nodiscard]] absl::Status CheckKeyMatchesCertificate(absl::string_view cert_pem,
                                                      absl::string_view key_pem);

// OK when `cert_pem` was signed by the CA in `ca_pem` and is valid at `now`.
[[nodiscard]] absl::Status VerifyIssuedBy(absl::string_view cert_pem, absl::string_view ca_pem,
                                          absl::Time now);

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

}  // namespace rollguard
