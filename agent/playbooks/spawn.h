// Starts a child process for a playbook (a `run` step, or the bot itself)
// with posix_spawn: nothing runs in the child between fork and exec but the C
// library's own async-signal-safe set-up, so a lock another agent thread held
// at fork time (malloc's, spdlog's) cannot deadlock it. The child starts
// with no signal blocked and every signal at its default: the agent blocks
// SIGTERM/SIGINT/SIGHUP for its signal thread, and a bot that inherited that
// mask could not be stopped.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace rollguard::agent {

enum class ProcessGroup {
  kOwnGroup,    // setpgid(0, 0): the agent can kill the whole group (run steps)
  kOwnSession,  // setsid(): outlives the agent and its terminal (the service)
};

struct SpawnOptions {
  std::vector<std::string> argv;           // argv[0] is looked up in PATH
  std::map<std::string, std::string> env;  // set over the agent's environment
  std::string cwd;
  int stdout_fd = -1;  // also stderr; -1 = /dev/null
  ProcessGroup group = ProcessGroup::kOwnGroup;
};

// The child's pid, or why it could not start (the message names argv[0]).
[[nodiscard]] absl::StatusOr<pid_t> Spawn(const SpawnOptions& options);

// How a command run to its end went.
struct CapturedRun {
  int status = 0;          // waitpid's
  bool timed_out = false;  // killed (its whole process group) at the deadline
  std::string output;      // stdout and stderr, the last 8 KB, trailing newlines trimmed

  bool succeeded() const;  // exited 0, in time
  // "timed out after 5s; output: ..." or "exited with status 3: ...".
  std::string Failure(absl::Duration timeout) const;
};

// Runs `options` (in its own process group; stdout_fd is replaced by a pipe)
// until it exits or `timeout` passes.
[[nodiscard]] absl::StatusOr<CapturedRun> SpawnAndCapture(SpawnOptions options,
                                                          absl::Duration timeout,
                                                          const Clock& clock);

}  // namespace rollguard::agent
