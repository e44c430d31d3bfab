#include "agent/playbooks/runner.h"

#include <fcntl.h>
#include <glob.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "agent/playbooks/flag_edit.h"
#include "agent/playbooks/host_lock.h"
#include "agent/playbooks/journal.h"
#include "agent/playbooks/root_dir.h"
#include "agent/playbooks/safe_path.h"
#include "agent/playbooks/spawn.h"
#include "agent/sources/proc_parse.h"
#include "common/atomic_file.h"
#include "common/files.h"
#include "common/number_format.h"
#include "common/status_macros.h"

namespace rollguard::agent {

namespace fs = std::filesystem;

namespace {

// The text of a JSON value at a dotted path, or NotFound.
absl::StatusOr<google::protobuf::Value> JsonAt(const std::string& text, const std::string& field) {
  google::protobuf::Value v;
  if (!google::protobuf::util::JsonStringToMessage(text, &v).ok()) {
    return absl::InvalidArgumentError("not valid JSON");
  }
  const google::protobuf::Value* cur = &v;
  for (absl::string_view part : absl::StrSplit(field, '.')) {
    if (!cur->has_struct_value()) return absl::NotFoundError(absl::StrCat("no field ", field));
    auto it = cur->struct_value().fields().find(std::string(part));
    if (it == cur->struct_value().fields().end()) {
      return absl::NotFoundError(absl::StrCat("no field ", field));
    }
    cur = &it->second;
  }
  return *cur;
}

std::string ValueText(const google::protobuf::Value& v) {
  if (v.has_bool_value()) return v.bool_value() ? "true" : "false";
  if (v.kind_case() == google::protobuf::Value::kNumberValue) return FormatValue(v.number_value());
  if (v.has_string_value()) return v.string_value();
  return "null";
}

}  // namespace

PlaybookRunner::PlaybookRunner(PlaybookConfig config, const Clock* clock)
    : config_(std::move(config)), clock_(clock), service_(MakeSupervisor(config_.service, clock)) {}

std::optional<std::string> PlaybookRunner::RecordedOutcome(const std::string& command_id) const {
  auto text = ReadFile(config_.state_dir + "/executed");
  if (!text.ok()) return std::nullopt;
  std::optional<std::string> outcome;
  // The last line for an id wins: "started" is followed by "ok" or "failed"
  // unless the agent died mid-run.
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
    if (f.size() >= 2 && f[0] == command_id) outcome = std::string(f[1]);
  }
  return outcome;
}

absl::StatusOr<RunResult> PlaybookRunner::Run(const std::string& playbook,
                                              const std::string& command_id, bool dry_run,
                                              const OnStep& on_step) {
  const Playbook* pb = config_.Find(playbook);
  if (pb == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no playbook '", playbook,
                     "' in this agent's config (has: ", absl::StrJoin(config_.Names(), ", "), ")"));
  }
  std::unique_lock<std::mutex> lock(run_mu_, std::try_to_lock);
  if (!lock.owns_lock()) {
    return absl::FailedPreconditionError("another playbook is running (one at a time per host)");
  }
  // ...and across processes: the daemon and a local `run` never overlap.
  std::optional<HostLock> host_lock;
  if (!dry_run) {
    ASSIGN_OR_RETURN(HostLock held, AcquireHostLock(config_.state_dir));
    host_lock.emplace(std::move(held));
  }
  if (!dry_run && RecordedOutcome(command_id)) {
    return absl::AlreadyExistsError(absl::StrCat("command ", command_id, " already ran here"));
  }
  std::error_code ec;
  fs::create_directories(config_.state_dir, ec);
  // Recorded before the first step: a command interrupted by a crash is
  // never started a second time by a redelivery.
  if (!dry_run) {
    RETURN_IF_ERROR(AppendLineDurable(config_.state_dir + "/executed",
                                      absl::StrCat(command_id, "\tstarted\t", playbook)));
  }
  RunResult result;
  result.command_id = command_id;
  result.playbook = playbook;
  result.dry_run = dry_run;
  result.ok = true;
  absl::Time started = clock_->Now();
  Journal journal(config_.state_dir, command_id);
  const int total = static_cast<int>(pb->steps.size());
  for (int i = 0; i < total; ++i) {
    const Step& step = pb->steps[static_cast<size_t>(i)];
    StepResult sr;
    sr.index = i + 1;
    sr.name = step.Describe();
    if (on_step && result.ok && !dry_run) {
      StepResult started = sr;
      started.status = StepOutcome::kRunning;
      on_step(started, total);
    }
    absl::Time t0 = clock_->Now();
    if (!result.ok) {
      sr.status = StepOutcome::kSkipped;
    } else if (dry_run) {
      // Paths are still checked, so a plan that would escape the root fails.
      absl::Status check = absl::OkStatus();
      for (const std::string& p : {step.path, step.file}) {
        if (!p.empty()) check.Update(ResolveUnderRoot(config_.service.root, p).status());
      }
      sr.status = check.ok() ? StepOutcome::kPlanned : StepOutcome::kFailed;
      sr.output = check.ok() ? "would run; nothing changed" : std::string(check.message());
      if (!check.ok()) {
        result.ok = false;
        result.error = absl::StrCat("step ", i + 1, " (", sr.name, "): ", check.message());
      }
    } else {
      auto out = RunStepGuarded(step, &journal);
      sr.status = out.ok() ? StepOutcome::kOk : StepOutcome::kFailed;
      sr.output = out.ok() ? *out : std::string(out.status().message());
      if (!out.ok()) {
        result.ok = false;
        result.error = absl::StrCat("step ", i + 1, " (", sr.name, "): ", out.status().message());
      }
    }
    sr.duration_ms = absl::ToInt64Milliseconds(clock_->Now() - t0);
    if (on_step) on_step(sr, total);
    result.steps.push_back(std::move(sr));
  }
  result.duration_ms = absl::ToInt64Milliseconds(clock_->Now() - started);
  if (!dry_run) {
    RETURN_IF_ERROR(AppendLineDurable(
        config_.state_dir + "/executed",
        absl::StrCat(command_id, "\t", result.ok ? "ok" : "failed", "\t", playbook)));
  }
  return result;
}

absl::StatusOr<std::string> PlaybookRunner::RunStepGuarded(const Step& step, Journal* journal) {
  // A library that throws (std::filesystem on a vanished file, yaml-cpp)
  // fails the step with the reason; it never ends the agent mid-playbook
  // with the bot stopped.
  try {
    return RunStep(step, journal);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("unexpected error: ", e.what()));
  }
}

absl::StatusOr<std::string> PlaybookRunner::RunStep(const Step& step, Journal* journal) {
  switch (step.type) {
    case StepType::kStopService:
      return service_->Stop();
    case StepType::kStartService: {
      ASSIGN_OR_RETURN(int pid, service_->Start(step.args, step.env));
      return absl::StrCat("started pid ", pid);
    }
    case StepType::kRestoreBackup:
      return RestoreBackup(step, journal);
    case StepType::kSetFlags:
      return SetFlags(step, journal);
    case StepType::kRemove:
      return Remove(step, journal);
    case StepType::kSnapshot:
      return Snapshot(step, journal);
    case StepType::kWaitHealthy:
      return WaitHealthy(step);
    case StepType::kVerify:
      return RunChecks(step.checks.empty() ? config_.verify : step.checks);
    case StepType::kRun:
      return RunCommand(step);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown step type ", static_cast<int>(step.type)));
}

absl::StatusOr<std::string> PlaybookRunner::RestoreBackup(const Step& step, Journal* journal) {
  const std::string& root = config_.service.root;
  ASSIGN_OR_RETURN(std::string target, ResolveUnderRoot(root, step.path));
  ASSIGN_OR_RETURN(std::string backup, ResolveUnderRoot(root, step.path + config_.backup_suffix));
  ASSIGN_OR_RETURN(RootDir dir, RootDir::Open(root));
  auto contents = dir.ReadFile(backup);
  if (absl::IsNotFound(contents.status())) {
    return absl::NotFoundError(absl::StrCat("no backup ", step.path, config_.backup_suffix));
  }
  RETURN_IF_ERROR(contents.status());
  RETURN_IF_ERROR(journal->Record(dir, target));
  RETURN_IF_ERROR(dir.WriteFile(target, *contents));
  return absl::StrCat("restored ", step.path, " from ", step.path, config_.backup_suffix);
}

absl::StatusOr<std::string> PlaybookRunner::SetFlags(const Step& step, Journal* journal) {
  const std::string& root = config_.service.root;
  ASSIGN_OR_RETURN(std::string target, ResolveUnderRoot(root, step.file));
  ASSIGN_OR_RETURN(RootDir dir, RootDir::Open(root));
  ASSIGN_OR_RETURN(std::string text, dir.ReadFile(target));
  std::vector<std::string> done;
  for (const auto& [key, value] : step.values) {
    auto edited = SetConfigValue(target, text, key, value, step.value_type);
    if (!edited.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(step.file, ": ", edited.status().message()));
    }
    text = std::move(*edited);
    done.push_back(absl::StrCat(key, "=", value));
  }
  RETURN_IF_ERROR(journal->Record(dir, target));
  RETURN_IF_ERROR(dir.WriteFile(target, text));
  return absl::StrCat("set ", absl::StrJoin(done, ", "), " in ", step.file);
}

absl::StatusOr<std::string> PlaybookRunner::Remove(const Step& step, Journal* journal) {
  const std::string& root = config_.service.root;
  ASSIGN_OR_RETURN(std::string base, ResolveUnderRoot(root, "."));
  ASSIGN_OR_RETURN(RootDir dir, RootDir::Open(root));
  int removed = 0;
  for (const std::string& pattern : step.globs) {
    glob_t g;
    std::string full = fs::path(pattern).is_absolute() ? pattern : base + "/" + pattern;
    std::vector<std::string> matches;
    if (::glob(full.c_str(), GLOB_NOSORT, nullptr, &g) == 0) {
      matches.assign(g.gl_pathv, g.gl_pathv + g.gl_pathc);
    }
    globfree(&g);
    for (const std::string& match : matches) {
      // The match itself is never followed: a symlink is removed as a link.
      ASSIGN_OR_RETURN(std::string p, ResolveEntryUnderRoot(root, match));
      RETURN_IF_ERROR(RemoveEntry(dir, p, journal));
      ++removed;
    }
  }
  return absl::StrCat("removed ", removed, " path(s) matching ", absl::StrJoin(step.globs, " "));
}

absl::Status PlaybookRunner::RemoveEntry(const RootDir& dir, const std::string& path,
                                         Journal* journal) {
  ASSIGN_OR_RETURN(RootDir::Kind kind, dir.KindOf(path));
  RETURN_IF_ERROR(journal->Record(dir, path));
  if (kind == RootDir::Kind::kDirectory) {
    // Journal every folder, file and link below it first, so undo puts back
    // the tree as it was, empty folders included. The iterator follows no
    // links and reports errors instead of throwing; each entry is then read
    // through the root, so a folder swapped for a link meanwhile is refused.
    std::error_code ec;
    fs::recursive_directory_iterator it(path, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      RETURN_IF_ERROR(journal->Record(dir, it->path().string()));
    }
    if (ec) return absl::UnavailableError(absl::StrCat("reading ", path, ": ", ec.message()));
  }
  // By descriptors beneath the root; a link is removed, never what it names.
  return dir.Remove(path);
}

absl::StatusOr<std::string> PlaybookRunner::Snapshot(const Step& step, Journal* journal) {
  const std::string& root = config_.service.root;
  ASSIGN_OR_RETURN(std::string source, ResolveUnderRoot(root, step.path));
  std::string stamp = absl::FormatTime("%Y%m%d_%H%M%S", clock_->Now(), absl::UTCTimeZone());
  std::string name = fs::path(source).filename().string();
  if (name.empty() || name == ".") name = fs::path(root).filename().string();
  ASSIGN_OR_RETURN(std::string dest,
                   ResolveUnderRoot(root, absl::StrCat("snapshots/", name, "_", stamp)));
  ASSIGN_OR_RETURN(RootDir dir, RootDir::Open(root));
  std::error_code ec;
  int files = 0;
  auto copy_file = [&](const fs::path& from, const fs::path& to) -> absl::Status {
    ASSIGN_OR_RETURN(std::string contents, dir.ReadFile(from.string()));
    RETURN_IF_ERROR(dir.MakeFolders(to.parent_path().string()));
    RETURN_IF_ERROR(journal->Record(dir, to.string()));  // undo removes the copy
    ++files;
    return dir.WriteFile(to.string(), contents);
  };
  if (fs::is_directory(source, ec)) {
    for (auto it = fs::recursive_directory_iterator(source, ec);
         it != fs::recursive_directory_iterator(); ++it) {
      std::string rel = fs::relative(it->path(), source, ec).string();
      if (absl::StartsWith(rel, "snapshots") || it->path().string().find(config_.state_dir) == 0) {
        if (it->is_directory()) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file()) RETURN_IF_ERROR(copy_file(it->path(), fs::path(dest) / rel));
    }
  } else {
    RETURN_IF_ERROR(copy_file(source, dest));
  }
  return absl::StrCat("copied ", files, " file(s) to ", fs::relative(dest, root, ec).string());
}

absl::StatusOr<std::string> PlaybookRunner::WaitHealthy(const Step& step) {
  // Healthy: running, the same PID, for a steady second.
  absl::Time deadline = clock_->Now() + step.timeout;
  std::optional<int> pid;
  absl::Time since = clock_->Now();
  while (clock_->Now() < deadline) {
    std::optional<int> now_pid = service_->Pid();
    if (!now_pid || now_pid != pid) {
      pid = now_pid;
      since = clock_->Now();
    } else if (clock_->Now() - since >= absl::Seconds(1)) {
      return absl::StrCat("pid ", *pid, " running steadily");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat("not healthy within ",
                                                  absl::FormatDuration(step.timeout),
                                                  pid ? "" : " (the service is not running)"));
}

absl::StatusOr<std::string> PlaybookRunner::RunChecks(const std::vector<Check>& checks) {
  std::vector<std::string> passed, failed;
  for (const Check& c : checks) {
    std::string label = c.type == CheckType::kJsonField ? absl::StrCat(c.path, ":", c.field)
                                                        : CheckTypeName(c.type);
    absl::StatusOr<std::string> detail = RunCheck(c);
    if (detail.ok()) {
      passed.push_back(absl::StrCat("PASS ", label, " (", *detail, ")"));
    } else {
      failed.push_back(absl::StrCat("FAIL ", label, ": ", detail.status().message()));
    }
  }
  std::string report = absl::StrJoin(failed, "; ");
  if (!failed.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(failed.size(), " of ", checks.size(), " checks failed: ", report));
  }
  return absl::StrCat(passed.size(), "/", checks.size(),
                      " checks passed: ", absl::StrJoin(passed, "; "));
}

absl::StatusOr<std::string> PlaybookRunner::RunCheck(const Check& c) {
  switch (c.type) {
    case CheckType::kProcessRunning: {
      std::optional<int> pid = service_->Pid();
      if (!pid) return absl::FailedPreconditionError("the service is not running");
      return absl::StrCat("pid ", *pid);
    }
    case CheckType::kMemoryBelowMb:
      return CheckMemoryBelow(c);
    case CheckType::kJsonField:
      return CheckJsonField(c);
    case CheckType::kLogClean:
      return CheckLogClean(c);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown check type ", static_cast<int>(c.type)));
}

absl::StatusOr<std::string> PlaybookRunner::CheckMemoryBelow(const Check& c) {
  std::optional<int> pid = service_->Pid();
  if (!pid) return absl::FailedPreconditionError("not running");
  ASSIGN_OR_RETURN(std::string status, ReadFile(absl::StrCat("/proc/", *pid, "/status")));
  ASSIGN_OR_RETURN(uint64_t kb, ParseVmRssKb(status));
  double mb = static_cast<double>(kb) / 1024.0;
  std::string detail = absl::StrCat(FormatValue(mb), " MB");
  if (mb >= c.below) {
    return absl::FailedPreconditionError(absl::StrCat(detail, " >= ", c.below, " MB"));
  }
  return detail;
}

absl::StatusOr<std::string> PlaybookRunner::ReadUnderRoot(const std::string& rel) {
  ASSIGN_OR_RETURN(std::string path, ResolveUnderRoot(config_.service.root, rel));
  ASSIGN_OR_RETURN(RootDir dir, RootDir::Open(config_.service.root));
  return dir.ReadFile(path);
}

absl::StatusOr<std::string> PlaybookRunner::CheckJsonField(const Check& c) {
  ASSIGN_OR_RETURN(std::string text, ReadUnderRoot(c.path));
  ASSIGN_OR_RETURN(google::protobuf::Value v, JsonAt(text, c.field));
  std::string detail = ValueText(v);
  if (!c.equals.empty() && detail != c.equals) {
    return absl::FailedPreconditionError(absl::StrCat("is ", detail, ", expected ", c.equals));
  }
  if (c.has_below && !(v.number_value() < c.below)) {
    return absl::FailedPreconditionError(absl::StrCat("is ", detail, ", must be below ", c.below));
  }
  return detail;
}

absl::StatusOr<std::string> PlaybookRunner::CheckLogClean(const Check& c) {
  ASSIGN_OR_RETURN(std::string text, ReadUnderRoot(c.path));
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  size_t from = 0;  // after the last line containing `since`
  if (!c.since.empty()) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (absl::StrContains(lines[i], c.since)) from = i;
    }
  }
  for (size_t i = from; i < lines.size(); ++i) {
    if (absl::StrContains(lines[i], c.pattern)) {
      return absl::FailedPreconditionError(absl::StrCat("found: ", lines[i]));
    }
  }
  return absl::StrCat("no '", c.pattern, "'");
}

absl::StatusOr<std::string> PlaybookRunner::RunCommand(const Step& step) {
  SpawnOptions so;
  so.argv = step.command;
  so.env = step.env;
  so.cwd = config_.service.root;
  ASSIGN_OR_RETURN(CapturedRun run, SpawnAndCapture(std::move(so), step.timeout, *clock_));
  if (run.timed_out) return absl::DeadlineExceededError(run.Failure(step.timeout));
  if (!run.succeeded()) return absl::FailedPreconditionError(run.Failure(step.timeout));
  return run.output.empty() ? std::string("exit 0") : run.output;
}

absl::StatusOr<std::vector<std::string>> PlaybookRunner::Undo(const std::string& command_id) {
  std::unique_lock<std::mutex> lock(run_mu_, std::try_to_lock);
  if (!lock.owns_lock()) {
    return absl::FailedPreconditionError("a playbook is running; undo after it finishes");
  }
  ASSIGN_OR_RETURN(HostLock host_lock, AcquireHostLock(config_.state_dir));
  return Journal::Undo(config_.state_dir, command_id, config_.service.root);
}

}  // namespace rollguard::agent
