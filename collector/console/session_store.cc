#include "collector/console/session_store.h"

#include "collector/auth/token_store.h"
#include "common/status_macros.h"
#include "common/tls/certificate.h"
#include "common/tls/pki.h"

namespace rollguard::collector {

SessionStore::SessionStore(const TokenStore* tokens, const Clock* clock, SessionOptions options)
    : tokens_(tokens), clock_(clock), options_(options) {}

absl::StatusOr<ConsoleSession> SessionStore::SignIn(const std::string& token) {
  Entry e;
  if (tokens_ != nullptr) {
    std::optional<Principal> who = tokens_->Lookup(token);
    if (!who) {
      return absl::UnauthenticatedError(
          "this token is not known to the collector (make one with `rollguard pki token NAME "
          "--role operator` and reload the collector)");
    }
    e.session.who = *who;
    e.token_sha256 = Sha256Hex(token);
  } else {
    e.session.who = Principal{PrincipalKind::kLocal, "", Role::kAdmin, ""};
  }
  ASSIGN_OR_RETURN(e.session.id, RandomHex(32));
  ASSIGN_OR_RETURN(e.session.csrf, RandomHex(32));
  const int64_t now = clock_->NowMs();
  e.session.expires_ms = now + absl::ToInt64Milliseconds(options_.max_age);
  e.last_used_ms = now;
  ConsoleSession out = e.session;
  const std::string who = out.who.Display();
  MutexLock lock(&mu_);
  size_t mine = 0;
  for (const auto& [key, other] : sessions_) mine += other.session.who.Display() == who;
  for (; mine >= options_.max_per_principal && mine > 0; --mine) EvictOldestLocked(&who);
  while (!sessions_.empty() && sessions_.size() >= options_.max_sessions)
    EvictOldestLocked(nullptr);
  sessions_[Sha256Hex(out.id)] = std::move(e);
  return out;
}

std::optional<ConsoleSession> SessionStore::Find(const std::string& id) {
  if (id.size() != 64) return std::nullopt;
  const std::string key = Sha256Hex(id);
  const int64_t now = clock_->NowMs();
  MutexLock lock(&mu_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return std::nullopt;
  Entry& e = it->second;
  const bool expired = now >= e.session.expires_ms ||
                       now - e.last_used_ms >= absl::ToInt64Milliseconds(options_.idle);
  if (!expired && tokens_ != nullptr) {
    std::optional<Principal> who = tokens_->LookupHash(e.token_sha256);
    if (!who) {
      sessions_.erase(it);  // revoked
      return std::nullopt;
    }
    e.session.who = *who;  // a changed role applies at once
  }
  if (expired) {
    sessions_.erase(it);
    return std::nullopt;
  }
  e.last_used_ms = now;
  return e.session;
}

void SessionStore::SignOut(const std::string& id) {
  if (id.size() != 64) return;
  const std::string key = Sha256Hex(id);
  MutexLock lock(&mu_);
  sessions_.erase(key);
}

void SessionStore::EvictOldestLocked(const std::string* who) {
  auto oldest = sessions_.end();
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (who != nullptr && it->second.session.who.Display() != *who) continue;
    if (oldest == sessions_.end() || it->second.last_used_ms < oldest->second.last_used_ms) {
      oldest = it;
    }
  }
  if (oldest == sessions_.end()) return;
  sessions_.erase(oldest);
  ++evicted_;
}

size_t SessionStore::size() const {
  MutexLock lock(&mu_);
  return sessions_.size();
}

uint64_t SessionStore::evicted() const {
  MutexLock lock(&mu_);
  return evicted_;
}

}  // namespace rollguard::collector
