#include "common/tls/identity.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rollguard {
namespace {
constexpr absl::string_view kPrefix = "spiffe://rollguard/";
}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
    case Role::kNone:
      break;
  }
  return "none";
}

absl::StatusOr<Role> ParseRole(absl::string_view text) {
  if (text == "viewer") return Role::kViewer;
  if (text == "operator") return Role::kOperator;
  if (text == "admin") return Role::kAdmin;
  return absl::InvalidArgumentError(
      absl::StrCat("'", text, "' is not a role (viewer, operator or admin)"));
}

std::string Principal::Display() const {
  switch (kind) {
    case PrincipalKind::kAgent:
      return absl::StrCat("agent:", name);
    case PrincipalKind::kUser:
      return absl::StrCat("user:", name);
    case PrincipalKind::kToken:
      return absl::StrCat("token:", name);
    case PrincipalKind::kCollector:
      return "collector";
    case PrincipalKind::kLocal:
      break;
  }
  return "local";
}

absl::Status ValidateIdentityName(absl::string_view what, absl::string_view name) {
  bool ok = !name.empty() && name.size() <= 253 && name[0] != '.' && name[0] != '-';
  for (char c : name) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '_' || c == '-';
    ok = ok && allowed;
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(what, " '", name,
                   "' must be 1-253 letters, digits, '.', '_' or '-' (not starting with '.' or "
                   "'-')"));
}

std::string AgentUri(absl::string_view host_id) { return absl::StrCat(kPrefix, "agent/", host_id); }

std::string UserUri(absl::string_view name, Role role) {
  return absl::StrCat(kPrefix, "user/", RoleName(role), "/", name);
}

std::string CollectorUri() { return absl::StrCat(kPrefix, "collector"); }

absl::StatusOr<Principal> PrincipalFromUri(absl::string_view uri) {
  if (!absl::StartsWith(uri, kPrefix)) {
    return absl::InvalidArgumentError(absl::StrCat("'", uri, "' is not a rollguard identity"));
  }
  std::vector<absl::string_view> parts = absl::StrSplit(uri.substr(kPrefix.size()), '/');
  Principal p;
  if (parts.size() == 1 && parts[0] == "collector") {
    p.kind = PrincipalKind::kCollector;
    return p;
  }
  if (parts.size() == 2 && parts[0] == "agent" && ValidateIdentityName("host id", parts[1]).ok()) {
    p.kind = PrincipalKind::kAgent;
    p.name = std::string(parts[1]);
    return p;
  }
  if (parts.size() == 3 && parts[0] == "user" && ValidateIdentityName("user", parts[2]).ok()) {
    absl::StatusOr<Role> role = ParseRole(parts[1]);
    if (role.ok()) {
      p.kind = PrincipalKind::kUser;
      p.role = *role;
      p.name = std::string(parts[2]);
      return p;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("'", uri, "' is not a rollguard identity"));
}

}  // namespace rollguard
