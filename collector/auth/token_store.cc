#include "collector/auth/token_store.h"

#include <openssl/crypto.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/files.h"
#include "common/mutex.h"
#include "common/tls/certificate.h"

namespace rollguard::collector {

absl::StatusOr<std::vector<TokenEntry>> ParseTokensFile(const std::string& path,
                                                        const std::string& text) {
  std::vector<TokenEntry> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    auto where = [&] { return absl::StrCat(path, ":", line_no, ": "); };
    if (f.size() != 3) {
      return absl::InvalidArgumentError(absl::StrCat(where(), "expected NAME ROLE SHA256HEX"));
    }
    TokenEntry e;
    e.name = std::string(f[0]);
    if (absl::Status s = ValidateIdentityName("token name", e.name); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where(), s.message()));
    }
    absl::StatusOr<Role> role = ParseRole(f[1]);
    if (!role.ok())
      return absl::InvalidArgumentError(absl::StrCat(where(), role.status().message()));
    e.role = *role;
    e.sha256_hex = absl::AsciiStrToLower(f[2]);
    bool hex = e.sha256_hex.size() == 64 &&
               e.sha256_hex.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (!hex) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), "the third field must be the token's SHA-256 (64 hex digits)"));
    }
    for (const TokenEntry& other : out) {
      if (other.name == e.name) {
        return absl::InvalidArgumentError(
            absl::StrCat(where(), "token '", e.name, "' is listed twice"));
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<size_t> TokenStore::Reload() {
  if (path_.empty()) return 0;
  absl::StatusOr<std::string> text = ReadFile(path_);
  if (!text.ok()) return text.status();
  absl::StatusOr<std::vector<TokenEntry>> parsed = ParseTokensFile(path_, *text);
  if (!parsed.ok()) return parsed.status();
  size_t n = parsed->size();
  auto table = std::make_shared<const std::vector<TokenEntry>>(std::move(*parsed));
  MutexLock lock(&mu_);
  entries_ = std::move(table);
  return n;
}

std::optional<Principal> TokenStore::Lookup(const std::string& token) const {
  return LookupHash(Sha256Hex(token));
}

std::optional<Principal> TokenStore::LookupHash(const std::string& hash) const {
  std::shared_ptr<const std::vector<TokenEntry>> table;
  {
    MutexLock lock(&mu_);
    table = entries_;
  }
  if (hash.size() != 64) return std::nullopt;
  std::optional<Principal> found;
  // Every entry is compared, in constant time, so timing tells nothing.
  for (const TokenEntry& e : *table) {
    if (CRYPTO_memcmp(hash.data(), e.sha256_hex.data(), hash.size()) == 0) {
      found = Principal{PrincipalKind::kToken, e.name, e.role, ""};
    }
  }
  return found;
}

}  // namespace rollguard::collector
