// Who is on the other end of a connection, as the collector knows it after
// TLS: an agent (its certificate names one host id), an operator (a user
// certificate or a bearer token, each with a role), the collector itself, or,
// on a plaintext loopback listener, an unauthenticated local process.
//
// Certificates carry the identity as one URI subject alternative name, in the
// style of SPIFFE IDs, so the CA's signature covers both who and what role:
//   spiffe://rollguard/agent/<host-id>
//   spiffe://rollguard/user/<role>/<name>
//   spiffe://rollguard/collector
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rollguard {

// Ordered: a higher role may do everything a lower one may.
enum class Role { kNone = 0, kViewer = 1, kOperator = 2, kAdmin = 3 };

absl::string_view RoleName(Role role);
// "viewer", "operator" or "admin"; anything else is an error naming the text.
[[nodiscard]] absl::StatusOr<Role> ParseRole(absl::string_view text);

enum class PrincipalKind { kLocal, kAgent, kUser, kToken, kCollector };

struct Principal {
  PrincipalKind kind = PrincipalKind::kLocal;
  std::string name;  // host id, user or token name; empty for kCollector
  Role role = Role::kNone;
  // The certificate's serial (hex) when the identity came from one.
  std::string certificate_serial;

  // What the audit log records: "user:alice", "token:ci", "agent:bot-eu-1",
  // "collector", or "local" for an unauthenticated loopback client.
  std::string Display() const;
};

// Host ids, user and token names: 1-253 of [A-Za-z0-9._-], not starting with
// '.' or '-' (they become file names and URI path segments).
[[nodiscard]] absl::Status ValidateIdentityName(absl::string_view what, absl::string_view name);

std::string AgentUri(absl::string_view host_id);
std::string UserUri(absl::string_view name, Role role);
std::string CollectorUri();

// The principal a certificate's URI SAN names; an error for any other URI.
[[nodiscard]] absl::StatusOr<Principal> PrincipalFromUri(absl::string_view uri);

}  // namespace rollguard
