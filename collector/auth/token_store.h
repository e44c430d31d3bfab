// Operators' bearer tokens, from the file `rollguard pki token` appends to:
// one "NAME ROLE SHA256HEX" a line ('#' comments and blank lines allowed).
// Only hashes are kept, on disk and in memory; a presented token is hashed
// and compared in constant time. Reload() swaps the whole table atomically
// (SIGHUP), so revoking a token is deleting its line.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "common/tls/identity.h"

namespace rollguard::collector {

struct TokenEntry {
  std::string name;
  Role role = Role::kNone;
  std::string sha256_hex;
};

// Parses the file's text; errors name the path and line.
[[nodiscard]] absl::StatusOr<std::vector<TokenEntry>> ParseTokensFile(const std::string& path,
                                                                      const std::string& text);

// Thread-safe.
class TokenStore {
 public:
  // An empty path: no tokens (every token is refused).
  explicit TokenStore(std::string path) : path_(std::move(path)) {}

  // Reads the file; on error the previous table stays.
  [[nodiscard]] absl::StatusOr<size_t> Reload();

  // The token's principal, or nullopt for an unknown token.
  std::optional<Principal> Lookup(const std::string& token) const;
  // The same by the token's SHA-256 (lowercase hex): how a console session,
  // which keeps only the hash, checks that its token was not revoked since.
  std::optional<Principal> LookupHash(const std::string& sha256_hex) const;

  const std::string& path() const { return path_; }

 private:
  const std::string path_;
  mutable Mutex mu_;
  std::shared_ptr<const std::vector<TokenEntry>> entries_ ABSL_GUARDED_BY(mu_) =
      std::make_shared<std::vector<TokenEntry>>();
};

}  // namespace rollguard::collector
