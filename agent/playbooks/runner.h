// Runs a playbook step by step: one playbook at a time per host, each step
// with a timeout, every changed file journalled before it is written
// (atomically), paths kept under the service root. A dry run prints the plan
// and changes nothing. Command ids that ran are remembered across restarts,
// so a redelivered command does not run twice.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/playbooks/playbook.h"
#include "agent/playbooks/service.h"
#include "common/clock.h"
#include "common/record_states.h"

namespace rollguard::agent {

struct StepResult {
  int index = 0;  // 1-based
  std::string name;
  StepOutcome status = StepOutcome::kUnknown;  // kRunning is reported as a step starts
  std::string output;
  int64_t duration_ms = 0;
};

struct RunResult {
  std::string command_id;
  std::string playbook;
  bool dry_run = false;
  bool ok = false;
  std::string error;
  std::vector<StepResult> steps;
  int64_t duration_ms = 0;
};

// Thread-safe; one playbook at a time.
class PlaybookRunner {
 public:
  using OnStep = std::function<void(const StepResult&, int total)>;

  // `clock`: step timeouts, durations and backup stamps (tests may fake it).
  explicit PlaybookRunner(PlaybookConfig config, const Clock* clock = &Clock::Real());

  // NotFound for a playbook not in the config; FailedPrecondition when
  // another playbook is running; AlreadyExists when `command_id` already ran.
  // A step's failure is not an error: it is in the result (later steps skipped).
  [[nodiscard]] absl::StatusOr<RunResult> Run(const std::string& playbook,
                                              const std::string& command_id, bool dry_run,
                                              const OnStep& on_step = nullptr);

  // Restores every file command `command_id` changed.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> Undo(const std::string& command_id);

  const PlaybookConfig& config() const { return config_; }

  // "started", "ok" or "failed" for a command id this host ran (or began to
  // run, when it died mid-run), across restarts; nullopt if never.
  std::optional<std::string> RecordedOutcome(const std::string& command_id) const;

 private:
  // One function per step type, chosen by RunStep; each returns the step's
  // output line, or why it failed. File changes are journalled first.
  absl::StatusOr<std::string> RunStep(const Step& step, class Journal* journal);
  absl::StatusOr<std::string> RestoreBackup(const Step& step, class Journal* journal);
  absl::StatusOr<std::string> SetFlags(const Step& step, class Journal* journal);
  absl::StatusOr<std::string> RunStepGuarded(const Step& step, class Journal* journal);
  absl::StatusOr<std::string> Remove(const Step& step, class Journal* journal);
  // One matched path: a file, a link (the link only) or a folder (its files
  // and links journalled first).
  absl::Status RemoveEntry(const class RootDir& dir, const std::string& path,
                           class Journal* journal);
  // A file under the service root, checked when the step starts and opened
  // beneath the root when read.
  absl::StatusOr<std::string> ReadUnderRoot(const std::string& rel);
  absl::StatusOr<std::string> Snapshot(const Step& step, class Journal* journal);
  absl::StatusOr<std::string> WaitHealthy(const Step& step);
  absl::StatusOr<std::string> RunCommand(const Step& step);
  // Every check, then one report: "N/M checks passed: ..." or the failures.
  absl::StatusOr<std::string> RunChecks(const std::vector<Check>& checks);
  // One check: its detail when it passes, why when it fails.
  absl::StatusOr<std::string> RunCheck(const Check& c);
  absl::StatusOr<std::string> CheckMemoryBelow(const Check& c);
  absl::StatusOr<std::string> CheckJsonField(const Check& c);
  absl::StatusOr<std::string> CheckLogClean(const Check& c);

  PlaybookConfig config_;
  const Clock* const clock_;
  std::unique_ptr<Supervisor> service_;  // the bot: a process or a systemd unit
  std::mutex run_mu_;                    // one run at a time (try-locked; guards no field)
};

}  // namespace rollguard::agent
