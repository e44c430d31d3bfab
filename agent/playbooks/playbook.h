// Rollback playbooks, declared in the agent's own config. The agent runs
// nothing else: a request for a playbook not named here is refused.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/playbooks/service.h"
#include "agent/playbooks/value_type.h"
#include "common/config_node.h"

namespace rollguard::agent {

// One post-rollback check (the runbook's verification checklist).
// What a verify check looks at. The config spells them as the names below.
enum class CheckType { kProcessRunning, kJsonField, kMemoryBelowMb, kLogClean };
// "process_running", "json_field", "memory_below_mb", "log_clean".
const char* CheckTypeName(CheckType t);

// What a step does; the config spells them as the names below.
enum class StepType {
  kStopService,
  kStartService,
  kRestoreBackup,
  kSnapshot,
  kSetFlags,
  kRemove,
  kWaitHealthy,
  kVerify,
  kRun,
};
// "stop_service", "start_service", "restore_backup", "snapshot", "set_flags",
// "remove", "wait_healthy", "verify", "run".
const char* StepTypeName(StepType t);

struct Check {
  CheckType type = CheckType::kProcessRunning;
  std::string path;
  std::string field;
  std::string equals;  // json_field: the value's text must equal this
  double below = 0;    // json_field / memory_below_mb: must be below (when has_below)
  bool has_below = false;
  std::string pattern;  // log_clean: no line containing this...
  std::string since;    // ...after the last line containing this (default: whole file)
};

struct Step {
  StepType type = StepType::kStopService;
  std::string path;                                         // restore_backup, snapshot
  std::string file;                                         // set_flags
  std::vector<std::pair<std::string, std::string>> values;  // set_flags: key -> value
  ValueType value_type = ValueType::kKeep;                  // set_flags: `type:`
  std::vector<std::string> globs;                           // remove
  std::vector<std::string> args;                            // start_service: extra arguments
  std::vector<std::string> command;                         // run
  std::map<std::string, std::string> env;                   // start_service, run
  std::vector<Check> checks;                                // verify (empty: the service's checks)
  absl::Duration timeout = absl::Seconds(30);
  std::string Describe() const;
};

struct Playbook {
  std::string name;
  std::string description;
  std::vector<Step> steps;
};

struct PlaybookConfig {
  bool enabled = false;  // a service and at least one playbook are configured
  ServiceConfig service;
  std::vector<Check> verify;  // the service's default checks
  std::string backup_suffix = ".backup";
  std::string state_dir;  // journal and executed command ids
  std::vector<Playbook> playbooks;

  const Playbook* Find(const std::string& name) const;
  std::vector<std::string> Names() const;
};

// Reads `service:`, `playbooks:` and `state_dir:` of the agent config.
[[nodiscard]] absl::Status LoadPlaybookConfig(const ConfigNode& root, PlaybookConfig* out);

// True when the agent's state folder lies inside the service root (where the
// bot's user can write), compared after resolving both.
bool StateDirInsideRoot(const PlaybookConfig& config);

// The packaged unit's StateDirectory=.
inline constexpr char kSystemStateDir[] = "/var/lib/rollguard-agent";

// Where the journal and command records go when the config names no
// state_dir: $STATE_DIRECTORY (set by systemd's StateDirectory=, so
// /var/lib/rollguard-agent under the packaged unit); for a config in
// /etc/rollguard that same folder (a local run by hand shares the daemon's
// journal and lock); else CONFIG_DIR/rollguard-state.
std::string DefaultStateDir(const std::filesystem::path& config_dir);

}  // namespace rollguard::agent
