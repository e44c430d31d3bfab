// Runs the commands the collector sends, one at a time, on its own thread, so
// the uplink's reader never waits on a playbook. Each command's progress goes
// back as CommandUpdates; its final update is saved under the state dir, so a
// redelivered command (after a reconnect or an agent restart) is answered
// from that record and never run twice. A command from a collector that no
// longer leads (a lower leader epoch) is refused (epoch_fence.h).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "agent/commands/epoch_fence.h"
#include "agent/playbooks/runner.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "rollguard/v1/commands.pb.h"

namespace rollguard::agent {

// Ids name files under the state dir, so only a plain alphabet is accepted.
[[nodiscard]] absl::Status ValidateCommandId(const std::string& id);

class CommandExecutor {
 public:
  using Send = std::function<void(rollguard::v1::CommandUpdate)>;

  CommandExecutor(PlaybookRunner* runner, Send send, const Clock* clock = &Clock::Real());
  ~CommandExecutor();

  void Start();
  // Waits for the running command to end (its steps have timeouts) and drops
  // the queued ones: the collector redelivers what never reported.
  void Stop();

  // Thread-safe, never blocks on a playbook. A command already queued or
  // running is ignored (the collector redelivers after reconnects).
  void Submit(rollguard::v1::Command command);

 private:
  void Loop();
  void Execute(const rollguard::v1::Command& command);
  void RunPlaybook(const rollguard::v1::Command& command);
  void RunUndo(const rollguard::v1::Command& command);
  // Saves the final update (so a redelivery gets the same answer), then sends it.
  void Finish(rollguard::v1::CommandUpdate update);
  bool AnswerFromRecord(const rollguard::v1::Command& command);
  std::string ResultPath(const std::string& id) const;
  void SendState(const std::string& id, rollguard::v1::CommandState state,
                 const std::string& error = "");

  PlaybookRunner* const runner_;
  const Send send_;
  const Clock* const clock_;
  EpochFence fence_;  // the executor thread's only

  Mutex mu_;
  std::condition_variable cv_;
  std::deque<rollguard::v1::Command> queue_ ABSL_GUARDED_BY(mu_);
  std::string running_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace rollguard::agent
