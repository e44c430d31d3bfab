// The web console's sign-ins. Signing in presents an operator token once
// (`rollguard pki token`); the browser then holds only a random session id
// in an HttpOnly, SameSite=Strict cookie, and every state-changing request
// must also carry the session's CSRF token, which a page of another origin
// cannot read.
//
// A session keeps the token's SHA-256, never the token, and is checked
// against the token file on every use: deleting the token's line and
// reloading (SIGHUP) ends its sessions at once, and a changed role applies
// at once. On a plaintext loopback collector (no TLS, no tokens) signing in
// needs no token and the session is the unauthenticated "local" principal,
// with every right, as the CLI has there.
//
// Bounded: at most `max_sessions`, and `max_per_principal` of one
// principal; signing in when full ends the least recently used one (of that
// principal, when it is its own bound), counted in evicted(). Sessions end after `idle`
// without a request and at the latest `max_age` after signing in; nothing
// is kept across a collector restart (operators sign in again).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "common/tls/identity.h"

namespace rollguard::collector {

class TokenStore;

struct ConsoleSession {
  std::string id;    // the cookie's value (64 hex digits)
  std::string csrf;  // sent back in the X-Rollguard-Csrf header (64 hex digits)
  Principal who;
  int64_t expires_ms = 0;  // the hard end (max_age)
};

struct SessionOptions {
  size_t max_sessions = 256;
  // One principal's sessions: its least recently used goes beyond this, so
  // one token holder signing in over and over cannot push everyone else out.
  size_t max_per_principal = 16;
  absl::Duration idle = absl::Hours(8);
  absl::Duration max_age = absl::Hours(24);
};

// Thread-safe.
class SessionStore {
 public:
  // `tokens` null: plaintext loopback mode (sign-in without a token).
  SessionStore(const TokenStore* tokens, const Clock* clock, SessionOptions options = {});

  bool needs_token() const { return tokens_ != nullptr; }

  // A new session for the token's holder; UNAUTHENTICATED for an unknown token.
  [[nodiscard]] absl::StatusOr<ConsoleSession> SignIn(const std::string& token);
  // The live session with this id, its principal as the token file says now;
  // nullopt when unknown, expired or its token revoked (then it is ended).
  std::optional<ConsoleSession> Find(const std::string& id);
  void SignOut(const std::string& id);

  size_t size() const;
  uint64_t evicted() const;

 private:
  struct Entry {
    ConsoleSession session;
    std::string token_sha256;  // empty in loopback mode
    int64_t last_used_ms = 0;
  };
  // Ends the least recently used session (of `who` only, when given).
  void EvictOldestLocked(const std::string* who) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const TokenStore* const tokens_;
  const Clock* const clock_;
  const SessionOptions options_;
  mutable Mutex mu_;
  // Keyed by the SHA-256 of the id, so a lookup's timing tells nothing of ids.
  absl::flat_hash_map<std::string, Entry> sessions_ ABSL_GUARDED_BY(mu_);
  uint64_t evicted_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace rollguard::collector
