#include "collector/auth/method_roles.h"

#include "absl/strings/str_cat.h"

namespace rollguard::collector {

const std::vector<MethodRole>& AdminMethodRoles() {
  static const auto* table = new std::vector<MethodRole>{
      {"ListHosts", Role::kViewer, "hosts"},
      {"QueryHistory", Role::kViewer, "history"},
      {"ListAlerts", Role::kViewer, "alerts"},
      {"ListSilences", Role::kViewer, "silence list"},
      {"GetRollout", Role::kViewer, "rollout"},
      {"GetCommand", Role::kViewer, "command"},
      {"ListCommands", Role::kViewer, "commands"},
      {"ListAudit", Role::kViewer, "audit"},
      {"ListIncidents", Role::kViewer, "incidents"},
      {"GetIncident", Role::kViewer, "incident"},
      {"Replay", Role::kViewer, "replay"},
      {"GetStorageStats", Role::kViewer, "storage"},
      {"GetVersion", Role::kViewer, "version"},
      {"ListSeries", Role::kViewer, "export"},
      {"GetHaStatus", Role::kViewer, "ha status"},
      {"AddSilence", Role::kOperator, "silence add"},
      {"RemoveSilence", Role::kOperator, "silence rm"},
      {"RemoveHost", Role::kOperator, "hosts rm"},
      {"StartRollout", Role::kOperator, "rollback, verify, drill"},
      {"UndoCommand", Role::kOperator, "undo"},
      {"ApproveIncident", Role::kOperator, "approve"},
      {"AckIncident", Role::kOperator, "ack"},
      {"ReloadRules", Role::kAdmin, "rules reload"},
  };
  return *table;
}

const MethodRole* FindMethodRole(absl::string_view method) {
  for (const MethodRole& m : AdminMethodRoles()) {
    if (m.method == method) return &m;
  }
  return nullptr;
}

absl::Status AuthorizeAdminCall(const Principal& who, absl::string_view method) {
  const MethodRole* entry = FindMethodRole(method);
  if (entry == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("permission denied: ", method, " has no role in the access table"));
  }
  if (who.kind == PrincipalKind::kAgent || who.kind == PrincipalKind::kCollector) {
    return absl::PermissionDeniedError(
        absl::StrCat("permission denied: ", who.Display(),
                     " holds a service certificate, which may not call the admin API (use a user "
                     "certificate or a token)"));
  }
  if (who.role < entry->role) {
    return absl::PermissionDeniedError(
        absl::StrCat("permission denied: `", entry->commands, "` needs the ", RoleName(entry->role),
                     " role; ", who.Display(), " has ", RoleName(who.role)));
  }
  return absl::OkStatus();
}

}  // namespace rollguard::collector
