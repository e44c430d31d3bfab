// Who may call what: the one table mapping every AdminService method to the
// least role that may call it. A method missing from the table is refused
// for everyone (tests/unit/collector/method_roles_test.cc walks the service
// descriptor, so a new RPC without an entry fails the build's tests).
//   viewer:   every read
//   operator: rollback, rollout, verify, undo, approve, ack, silence, drill
//   admin:    everything, rules reload included
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/tls/identity.h"

namespace rollguard::collector {

struct MethodRole {
  absl::string_view method;  // the AdminService method's name, e.g. "StartRollout"
  Role role;
  absl::string_view commands;  // the CLI commands that use it, for messages
};

const std::vector<MethodRole>& AdminMethodRoles();

// The entry for `method`, or null.
const MethodRole* FindMethodRole(absl::string_view method);

// OK when `who` may call AdminService `method`. PERMISSION_DENIED otherwise,
// naming the role needed and the one held (agents may call none).
[[nodiscard]] absl::Status AuthorizeAdminCall(const Principal& who, absl::string_view method);

}  // namespace rollguard::collector
