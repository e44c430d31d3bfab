#include "agent/playbooks/playbook.h"

#include <cstdlib>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/default_config.h"
#include "common/status_macros.h"

namespace rollguard::agent {
namespace {

constexpr std::pair<CheckType, const char*> kCheckTypes[] = {
    {CheckType::kProcessRunning, "process_running"},
    {CheckType::kJsonField, "json_field"},
    {CheckType::kMemoryBelowMb, "memory_below_mb"},
    {CheckType::kLogClean, "log_clean"},
};
constexpr std::pair<StepType, const char*> kStepTypes[] = {
    {StepType::kStopService, "stop_service"},
    {StepType::kStartService, "start_service"},
    {StepType::kRestoreBackup, "restore_backup"},
    {StepType::kSnapshot, "snapshot"},
    {StepType::kSetFlags, "set_flags"},
    {StepType::kRemove, "remove"},
    {StepType::kWaitHealthy, "wait_healthy"},
    {StepType::kVerify, "verify"},
    {StepType::kRun, "run"},
};

template <typename Table>
std::string AllNames(const Table& table) {
  std::vector<std::string> names;
  for (const auto& [type, name] : table) names.push_back(name);
  return absl::StrJoin(names, ", ");
}

absl::StatusOr<Check> LoadCheck(const ConfigNode& n) {
  RETURN_IF_ERROR(n.AllowOnly({"check", "path", "field", "equals", "below", "pattern", "since"}));
  Check c;
  if (!n.Has("check")) return n.Error("check", "every check needs a type");
  ASSIGN_OR_RETURN(std::string type, n.String("check"));
  const auto* known = std::find_if(std::begin(kCheckTypes), std::end(kCheckTypes),
                                   [&](const auto& t) { return type == t.second; });
  if (known == std::end(kCheckTypes)) {
    return n.Error("check", absl::StrCat("'", type, "' is not one of ", AllNames(kCheckTypes)));
  }
  c.type = known->first;
  if (n.Has("path")) {
    ASSIGN_OR_RETURN(c.path, n.String("path"));
  }
  if (n.Has("field")) {
    ASSIGN_OR_RETURN(c.field, n.String("field"));
  }
  if (n.Has("equals")) {
    ASSIGN_OR_RETURN(c.equals, n.String("equals"));
  }
  if (n.Has("pattern")) {
    ASSIGN_OR_RETURN(c.pattern, n.String("pattern"));
  }
  if (n.Has("since")) {
    ASSIGN_OR_RETURN(c.since, n.String("since"));
  }
  if (n.Has("below")) {
    ASSIGN_OR_RETURN(std::string b, n.String("below"));
    if (!absl::SimpleAtod(b, &c.below)) return n.Error("below", "must be a number");
    c.has_below = true;
  }
  if ((c.type == CheckType::kJsonField || c.type == CheckType::kLogClean) && c.path.empty()) {
    return n.Error("path", absl::StrCat("a ", type, " check needs a path"));
  }
  if (c.type == CheckType::kJsonField && c.field.empty()) return n.Error("field", "is required");
  if (c.type == CheckType::kLogClean && c.pattern.empty()) return n.Error("pattern", "is required");
  if (c.type == CheckType::kMemoryBelowMb && !c.has_below) return n.Error("below", "is required");
  return c;
}

absl::StatusOr<Step> LoadStep(const ConfigNode& n) {
  // A step is a one-key mapping: `- set_flags: {file: config.py, flags: {...}}`.
  Step s;
  std::string type;
  std::vector<absl::string_view> names;
  for (const auto& [t, name] : kStepTypes) {
    names.push_back(name);
    if (n.Has(name) || n.HasNull(name)) {
      if (!type.empty()) return n.Error(name, "one step type per list item");
      type = name;
      s.type = t;
    }
  }
  if (type.empty()) {
    return n.Error("", absl::StrCat("unknown step (known: ", AllNames(kStepTypes), ")"));
  }
  RETURN_IF_ERROR(n.AllowOnly(names));
  if (!n.Has(type)) return s;  // `- stop_service:` with no options
  ASSIGN_OR_RETURN(ConfigNode o, n.Child(type));
  RETURN_IF_ERROR(o.AllowOnly({"path", "file", "flags", "values", "type", "globs", "args",
                               "command", "env", "checks", "timeout"}));
  if (o.Has("path")) {
    ASSIGN_OR_RETURN(s.path, o.String("path"));
  }
  if (o.Has("file")) {
    ASSIGN_OR_RETURN(s.file, o.String("file"));
  }
  for (const char* key : {"flags", "values"}) {
    if (!o.Has(key)) continue;
    ASSIGN_OR_RETURN(Labels kv, o.StringMap(key, /*any_keys=*/true));
    for (auto& [k, v] : kv) s.values.emplace_back(k, v);
  }
  if (o.Has("type")) {
    ASSIGN_OR_RETURN(std::string name, o.String("type"));
    absl::StatusOr<ValueType> t = ParseValueType(name);
    if (!t.ok()) return o.Error("type", t.status().message());
    if (s.type != StepType::kSetFlags) return o.Error("type", "only set_flags takes a type");
    s.value_type = *t;
  }
  if (o.Has("globs")) {
    ASSIGN_OR_RETURN(s.globs, o.Strings("globs"));
  }
  if (o.Has("args")) {
    ASSIGN_OR_RETURN(s.args, o.Strings("args"));
  }
  if (o.Has("command")) {
    ASSIGN_OR_RETURN(s.command, o.Strings("command"));
  }
  if (o.Has("env")) {
    ASSIGN_OR_RETURN(Labels env, o.StringMap("env", true));
    s.env = std::map<std::string, std::string>(env.begin(), env.end());
  }
  if (o.Has("checks")) {
    ASSIGN_OR_RETURN(std::vector<ConfigNode> checks, o.MapList("checks"));
    for (const auto& c : checks) {
      ASSIGN_OR_RETURN(Check check, LoadCheck(c));
      s.checks.push_back(std::move(check));
    }
  }
  if (o.Has("timeout")) {
    ASSIGN_OR_RETURN(s.timeout, o.Duration("timeout"));
  }
  switch (s.type) {
    case StepType::kRestoreBackup:
    case StepType::kSnapshot:
      if (s.path.empty()) return o.Error("path", absl::StrCat(type, " needs a path"));
      break;
    case StepType::kSetFlags:
      if (s.file.empty() || s.values.empty()) {
        return o.Error("file", "set_flags needs a file and flags (or values)");
      }
      break;
    case StepType::kRemove:
      if (s.globs.empty()) return o.Error("globs", "remove needs globs");
      break;
    case StepType::kRun:
      if (s.command.empty()) return o.Error("command", "run needs a command");
      break;
    default:
      break;
  }
  return s;
}

}  // namespace

const char* CheckTypeName(CheckType t) {
  for (const auto& [type, name] : kCheckTypes) {
    if (type == t) return name;
  }
  return "?";
}

const char* StepTypeName(StepType t) {
  for (const auto& [type, name] : kStepTypes) {
    if (type == t) return name;
  }
  return "?";
}

std::string Step::Describe() const {
  const char* name = StepTypeName(type);
  switch (type) {
    case StepType::kRestoreBackup:
    case StepType::kSnapshot:
      return absl::StrCat(name, " ", path);
    case StepType::kSetFlags: {
      std::vector<std::string> kv;
      for (const auto& [k, v] : values) kv.push_back(absl::StrCat(k, "=", v));
      return absl::StrCat(name, " ", file, " ", absl::StrJoin(kv, ","));
    }
    case StepType::kRemove:
      return absl::StrCat(name, " ", absl::StrJoin(globs, " "));
    case StepType::kStartService:
      return args.empty() ? name : absl::StrCat(name, " ", absl::StrJoin(args, " "));
    case StepType::kRun:
      return absl::StrCat(name, " ", absl::StrJoin(command, " "));
    default:
      return name;
  }
}

const Playbook* PlaybookConfig::Find(const std::string& name) const {
  for (const auto& p : playbooks) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::vector<std::string> PlaybookConfig::Names() const {
  std::vector<std::string> out;
  for (const auto& p : playbooks) out.push_back(p.name);
  return out;
}

std::string DefaultStateDir(const std::filesystem::path& config_dir) {
  // systemd's StateDirectory= (the unit's /var/lib/rollguard-agent): outside
  // the bot's folder and writable under ProtectSystem=. The first of a list.
  const char* given = std::getenv("STATE_DIRECTORY");
  if (given != nullptr && *given != '\0') {
    std::string first(given);
    first = first.substr(0, first.find(':'));
    if (!first.empty()) return first;
  }
  // The installed config: the same folder as the daemon's, so `sudo
  // rollguard-agent run|undo` by hand shares its journal and host lock.
  if ((config_dir / "x").lexically_normal().parent_path() ==
      std::filesystem::path(kSystemConfigDir)) {
    return kSystemStateDir;
  }
  return (config_dir / "rollguard-state").string();
}

// systemd's unit-name characters; no glob (systemctl would act on every
// matching unit), no leading '-' (an option), at most 255 bytes.
bool ValidUnitName(const std::string& unit) {
  if (unit.empty() || unit.size() > 255 || unit[0] == '-') return false;
  for (char c : unit) {
    const bool ok = absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '_' ||
                    c == '.' || c == '\\' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// `manager:` and what each manager needs: a process its command, a systemd
// unit its name (and where its environment file goes).
absl::Status LoadServiceManager(const ConfigNode& s, PlaybookConfig* c) {
  std::string manager = "process";
  if (s.Has("manager")) {
    ASSIGN_OR_RETURN(manager, s.String("manager"));
  }
  if (manager == "systemd") {
    c->service.manager = ServiceManager::kSystemd;
    if (!s.Has("unit"))
      return s.Error("unit", "manager: systemd needs the bot's unit, e.g. sportsbot.service");
    ASSIGN_OR_RETURN(c->service.unit, s.String("unit"));
    if (!ValidUnitName(c->service.unit)) {
      return s.Error("unit", absl::StrCat("'", c->service.unit,
                                          "' is not a unit name (letters, digits, ':', '_', '.', "
                                          "'\\', '@', '-'; no globs, not starting with '-')"));
    }
    if (c->service.unit.find('.') == std::string::npos) c->service.unit += ".service";
    c->service.env_file =
        (std::filesystem::path(c->state_dir) / (c->service.unit + ".env")).string();
    if (s.Has("env_file")) {
      ASSIGN_OR_RETURN(c->service.env_file, s.Path("env_file"));
    }
    if (s.Has("systemctl")) {
      ASSIGN_OR_RETURN(c->service.systemctl, s.Path("systemctl"));
    }
    for (const char* key : {"command", "pidfile", "log", "scope"}) {
      if (s.Has(key)) {
        return s.Error(key, "applies to manager: process only (the unit says how the bot runs)");
      }
    }
    return absl::OkStatus();
  }
  if (manager != "process") {
    return s.Error("manager", absl::StrCat("unknown manager '", manager, "' (process or systemd)"));
  }
  for (const char* key : {"unit", "env_file", "systemctl"}) {
    if (s.Has(key)) return s.Error(key, "applies to manager: systemd only");
  }
  if (!s.Has("command")) return s.Error("command", "the service needs a command");
  ASSIGN_OR_RETURN(c->service.command, s.Strings("command"));
  if (s.Has("scope")) {
    std::string scope;
    ASSIGN_OR_RETURN(scope, s.String("scope"));
    if (scope == "auto") {
      c->service.scope = ScopeMode::kAuto;
    } else if (scope == "on") {
      c->service.scope = ScopeMode::kOn;
    } else if (scope == "off") {
      c->service.scope = ScopeMode::kOff;
    } else {
      return s.Error("scope", absl::StrCat("unknown scope '", scope, "' (auto, on or off)"));
    }
  }
  return absl::OkStatus();
}

absl::Status LoadPlaybookConfig(const ConfigNode& root, PlaybookConfig* c) {
  c->state_dir = DefaultStateDir(root.dir());
  if (root.Has("state_dir")) {
    ASSIGN_OR_RETURN(c->state_dir, root.Path("state_dir"));
  }
  if (root.Has("service")) {
    ASSIGN_OR_RETURN(ConfigNode s, root.Child("service"));
    RETURN_IF_ERROR(
        s.AllowOnly({"manager", "unit", "env_file", "systemctl", "scope", "root", "command",
                     "pidfile", "log", "env", "stop_timeout", "backup_suffix", "verify"}));
    c->service.root = root.dir().string();
    if (s.Has("root")) {
      ASSIGN_OR_RETURN(c->service.root, s.Path("root"));
    }
    RETURN_IF_ERROR(LoadServiceManager(s, c));
    c->service.pidfile = c->service.root + "/run/service.pid";
    if (s.Has("pidfile")) {
      ASSIGN_OR_RETURN(c->service.pidfile, s.Path("pidfile"));
    }
    c->service.log = c->service.root + "/logs/service.out";
    if (s.Has("log")) {
      ASSIGN_OR_RETURN(c->service.log, s.Path("log"));
    }
    if (s.Has("env")) {
      ASSIGN_OR_RETURN(Labels env, s.StringMap("env", true));
      c->service.env = std::map<std::string, std::string>(env.begin(), env.end());
    }
    if (s.Has("stop_timeout")) {
      ASSIGN_OR_RETURN(c->service.stop_timeout, s.Duration("stop_timeout"));
    }
    if (s.Has("backup_suffix")) {
      ASSIGN_OR_RETURN(c->backup_suffix, s.String("backup_suffix"));
    }
    if (s.Has("verify")) {
      ASSIGN_OR_RETURN(std::vector<ConfigNode> checks, s.MapList("verify"));
      for (const auto& n : checks) {
        ASSIGN_OR_RETURN(Check check, LoadCheck(n));
        c->verify.push_back(std::move(check));
      }
    }
  }
  if (root.Has("playbooks")) {
    if (!root.Has("service")) return root.Error("playbooks", "playbooks need a service: section");
    ASSIGN_OR_RETURN(ConfigNode pbs, root.Child("playbooks"));
    ASSIGN_OR_RETURN(std::vector<std::string> names, pbs.Keys());
    for (const std::string& name : names) {
      ASSIGN_OR_RETURN(ConfigNode p, pbs.Child(name));
      RETURN_IF_ERROR(p.AllowOnly({"description", "steps"}));
      Playbook pb;
      pb.name = name;
      if (p.Has("description")) {
        ASSIGN_OR_RETURN(pb.description, p.String("description"));
      }
      if (!p.Has("steps")) return p.Error("steps", "a playbook needs steps");
      ASSIGN_OR_RETURN(std::vector<ConfigNode> steps, p.MapList("steps"));
      for (const auto& sn : steps) {
        ASSIGN_OR_RETURN(Step step, LoadStep(sn));
        pb.steps.push_back(std::move(step));
      }
      c->playbooks.push_back(std::move(pb));
    }
  }
  c->enabled = root.Has("service") && !c->playbooks.empty();
  return absl::OkStatus();
}

bool StateDirInsideRoot(const PlaybookConfig& config) {
  if (config.service.root.empty() || config.state_dir.empty()) return false;
  std::error_code ec;
  const std::filesystem::path root = std::filesystem::weakly_canonical(config.service.root, ec);
  if (ec) return false;
  const std::filesystem::path state = std::filesystem::weakly_canonical(config.state_dir, ec);
  if (ec) return false;
  const std::filesystem::path rel = state.lexically_relative(root);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace rollguard::agent
