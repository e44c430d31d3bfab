// The folder `rollguard pki` keeps a fleet's trust in:
//   ca.crt ca.key                  the fleet's CA (ca.key never leaves this folder)
//   collector.crt collector.key    the collector's server certificate
//   agents/HOST_ID.crt .key        one identity per bot host
//   users/NAME.crt .key            operators, each with a role
//   tokens/NAME.token, tokens.txt  bearer tokens; tokens.txt keeps only hashes
// Private keys and tokens are written 0600, every file atomically.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/tls/identity.h"

namespace rollguard::cli {

struct IssuedFiles {
  std::vector<std::string> written;  // paths, in the order written
  std::string detail;                // identity, names, expiry: one line
};

// A new CA and collector certificate. The collector's names: localhost,
// 127.0.0.1 and each of `sans` (IP addresses as IP SANs, the rest as DNS).
// Refuses to replace an existing CA.
[[nodiscard]] absl::StatusOr<IssuedFiles> PkiInit(const std::string& dir,
                                                  const std::vector<std::string>& sans, int days);

// A certificate whose identity is `host_id`, signed by DIR's CA; replaces
// an earlier one for the same host (rotation).
[[nodiscard]] absl::StatusOr<IssuedFiles> PkiAgent(const std::string& dir,
                                                   const std::string& host_id, int days);

[[nodiscard]] absl::StatusOr<IssuedFiles> PkiUser(const std::string& dir, const std::string& name,
                                                  Role role, int days);

struct IssuedToken {
  std::string token;  // shown once
  IssuedFiles files;
};

// A new random token; its hash appended to DIR/tokens.txt. Refuses a name
// tokens.txt already has.
[[nodiscard]] absl::StatusOr<IssuedToken> PkiToken(const std::string& dir, const std::string& name,
                                                   Role role);

}  // namespace rollguard::cli
