#include "agent/commands/command_executor.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/atomic_file.h"
#include "common/files.h"
#include "common/mutex.h"
#include "common/record_states.h"

namespace rollguard::agent {

using rollguard::v1::Command;
using rollguard::v1::CommandState;
using rollguard::v1::CommandUpdate;

namespace {

constexpr size_t kMaxOutputExcerpt = 2000;
constexpr size_t kMaxQueued = 100;

std::string Excerpt(const std::string& s) {
  if (s.size() <= kMaxOutputExcerpt) return s;
  return absl::StrCat(s.substr(0, kMaxOutputExcerpt), "... (", s.size(), " bytes)");
}

void ToProto(const StepResult& r, int total, rollguard::v1::StepStatus* out) {
  out->set_index(r.index);
  out->set_total(total);
  out->set_name(r.name);
  SetOutcome(out, r.status);
  out->set_output(Excerpt(r.output));
  out->set_duration_ms(r.duration_ms);
}

}  // namespace

absl::Status ValidateCommandId(const std::string& id) {
  if (id.empty() || id.size() > 128) {
    return absl::InvalidArgumentError("command id must be 1-128 characters");
  }
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok || id == "." || id == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("command id '", id, "' has characters other than [A-Za-z0-9._-]"));
    }
  }
  return absl::OkStatus();
}

CommandExecutor::CommandExecutor(PlaybookRunner* runner, Send send, const Clock* clock)
    : runner_(runner),
      send_(std::move(send)),
      clock_(clock),
      fence_(runner->config().state_dir.empty() ? ""
                                                : runner->config().state_dir + "/leader_epoch") {}

CommandExecutor::~CommandExecutor() { Stop(); }

void CommandExecutor::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void CommandExecutor::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CommandExecutor::Submit(Command command) {
  MutexLock lock(&mu_);
  if (stopping_ || running_ == command.id()) return;
  for (const Command& q : queue_) {
    if (q.id() == command.id()) return;
  }
  if (queue_.size() >= kMaxQueued) {
    spdlog::warn("command {} refused: {} commands already queued", command.id(), queue_.size());
    return;  // not answered: the collector offers it again after a reconnect
  }
  queue_.push_back(std::move(command));
  cv_.notify_all();
}

void CommandExecutor::Loop() {
  while (true) {
    Command cmd;
    {
      MutexLock lock(&mu_);
      cv_.wait(lock.native(), [&] {
        mu_.AssertHeld();
        return stopping_ || !queue_.empty();
      });
      if (stopping_) return;
      cmd = std::move(queue_.front());
      queue_.pop_front();
      running_ = cmd.id();
    }
    Execute(cmd);
    MutexLock lock(&mu_);
    running_.clear();
  }
}

std::string CommandExecutor::ResultPath(const std::string& id) const {
  return absl::StrCat(runner_->config().state_dir, "/results/", id, ".pb");
}

void CommandExecutor::SendState(const std::string& id, CommandState state,
                                const std::string& error) {
  CommandUpdate u;
  u.set_command_id(id);
  u.set_state(state);
  u.set_error(error);
  u.set_timestamp_ms(clock_->NowMs());
  send_(std::move(u));
}

void CommandExecutor::Finish(CommandUpdate update) {
  update.set_timestamp_ms(clock_->NowMs());
  std::error_code ec;
  std::filesystem::create_directories(runner_->config().state_dir + "/results", ec);
  if (absl::Status s = WriteFileAtomic(ResultPath(update.command_id()), update.SerializeAsString());
      !s.ok()) {
    spdlog::error("command {}: saving its result: {}", update.command_id(), s.ToString());
  }
  spdlog::info("command {}: {}{}{}", update.command_id(),
               rollguard::v1::CommandState_Name(update.state()), update.error().empty() ? "" : ": ",
               update.error());
  send_(std::move(update));
}

bool CommandExecutor::AnswerFromRecord(const Command& cmd) {
  if (auto saved = ReadFile(ResultPath(cmd.id())); saved.ok()) {
    CommandUpdate u;
    if (u.ParseFromString(*saved)) {
      spdlog::info("command {} was redelivered; it already ran here: answering from its record",
                   cmd.id());
      send_(std::move(u));
      return true;
    }
  }
  if (cmd.undo_of().empty()) {
    std::optional<std::string> outcome = runner_->RecordedOutcome(cmd.id());
    if (!outcome) return false;
    // Ran (or began to run) but its result was not saved: the agent died.
    CommandUpdate u;
    u.set_command_id(cmd.id());
    u.set_state(*outcome == "ok" ? rollguard::v1::SUCCEEDED : rollguard::v1::FAILED);
    if (*outcome != "ok") {
      u.set_error(*outcome == "started"
                      ? "the agent stopped while this command was running; not run again"
                      : "failed (details lost)");
    }
    Finish(std::move(u));
    return true;
  }
  return false;
}

void CommandExecutor::Execute(const Command& cmd) {
  if (absl::Status s = ValidateCommandId(cmd.id()); !s.ok()) {
    spdlog::warn("refused a command: {}", std::string(s.message()));
    SendState(cmd.id(), rollguard::v1::REFUSED, std::string(s.message()));
    return;
  }
  if (AnswerFromRecord(cmd)) return;
  if (absl::Status s = fence_.Admit(cmd.leader_epoch()); !s.ok()) {
    // No answer at all: progress goes to every collector, and a REFUSED
    // (final) would end the real leader's copy of this same id, which must
    // still run. The deposed sender learns nothing; it is no longer acting.
    spdlog::warn("command {} not run: {}", cmd.id(), std::string(s.message()));
    return;
  }
  if (cmd.deadline_ms() > 0 && clock_->NowMs() > cmd.deadline_ms()) {
    CommandUpdate u;
    u.set_command_id(cmd.id());
    u.set_state(rollguard::v1::REFUSED);
    u.set_error("its deadline passed before this agent received it");
    Finish(std::move(u));
    return;
  }
  spdlog::info("command {} from {}: {}{}{}", cmd.id(), cmd.requested_by(),
               cmd.undo_of().empty() ? cmd.playbook() : "undo " + cmd.undo_of(),
               cmd.dry_run() ? " (dry run)" : "", cmd.reason().empty() ? "" : " - " + cmd.reason());
  if (!cmd.undo_of().empty()) {
    RunUndo(cmd);
  } else {
    RunPlaybook(cmd);
  }
}

void CommandExecutor::RunPlaybook(const Command& cmd) {
  SendState(cmd.id(), rollguard::v1::RUNNING);
  auto result =
      runner_->Run(cmd.playbook(), cmd.id(), cmd.dry_run(), [&](const StepResult& step, int total) {
        CommandUpdate u;
        u.set_command_id(cmd.id());
        u.set_state(rollguard::v1::RUNNING);
        ToProto(step, total, u.add_steps());
        u.set_timestamp_ms(clock_->NowMs());
        send_(std::move(u));
      });
  CommandUpdate final;
  final.set_command_id(cmd.id());
  if (!result.ok()) {
    // Unknown playbook, busy, or already ran: it did not run now.
    bool refused = absl::IsNotFound(result.status()) ||
                   absl::IsFailedPrecondition(result.status()) ||
                   absl::IsAlreadyExists(result.status());
    final.set_state(refused ? rollguard::v1::REFUSED : rollguard::v1::FAILED);
    final.set_error(std::string(result.status().message()));
    Finish(std::move(final));
    return;
  }
  final.set_state(result->ok ? rollguard::v1::SUCCEEDED : rollguard::v1::FAILED);
  final.set_error(result->error);
  final.set_duration_ms(result->duration_ms);
  const int total = static_cast<int>(result->steps.size());
  for (const StepResult& s : result->steps) ToProto(s, total, final.add_steps());
  // A dry run changes nothing and may be asked again under a new id; saving
  // it is still what makes a redelivery answer the same.
  Finish(std::move(final));
}

void CommandExecutor::RunUndo(const Command& cmd) {
  CommandUpdate final;
  final.set_command_id(cmd.id());
  if (absl::Status s = ValidateCommandId(cmd.undo_of()); !s.ok()) {
    final.set_state(rollguard::v1::REFUSED);
    final.set_error(std::string(s.message()));
    Finish(std::move(final));
    return;
  }
  SendState(cmd.id(), rollguard::v1::RUNNING);
  absl::Time t0 = clock_->Now();
  auto restored = runner_->Undo(cmd.undo_of());
  final.set_duration_ms(absl::ToInt64Milliseconds(clock_->Now() - t0));
  auto* step = final.add_steps();
  step->set_index(1);
  step->set_total(1);
  step->set_name(absl::StrCat("undo ", cmd.undo_of()));
  step->set_duration_ms(final.duration_ms());
  if (!restored.ok()) {
    SetOutcome(step, StepOutcome::kFailed);
    step->set_output(std::string(restored.status().message()));
    final.set_state(absl::IsFailedPrecondition(restored.status()) ? rollguard::v1::REFUSED
                                                                  : rollguard::v1::FAILED);
    final.set_error(std::string(restored.status().message()));
  } else {
    SetOutcome(step, StepOutcome::kOk);
    step->set_output(Excerpt(
        absl::StrCat(restored->size(), " file(s) restored: ", absl::StrJoin(*restored, ", "))));
    final.set_state(rollguard::v1::SUCCEEDED);
  }
  Finish(std::move(final));
}

}  // namespace rollguard::agent
