// Real child processes for end-to-end tests: start a binary with its output
// in a log file, signal it by PID, wait for it. The destructor kills (SIGKILL)
// and reaps anything still running, so a failed test leaves no strays.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace rollguard::testing {

class ChildProcess {
 public:
  // Starts argv[0] (a path) with stdout and stderr appended to `log_path`.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const std::vector<std::string>& argv,
                                                             const std::string& log_path);
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool running();
  void Signal(int signo);
  // The exit code (128+signal if killed), or nullopt if still running after `timeout`.
  std::optional<int> Wait(absl::Duration timeout);
  std::string Log() const;

 private:
  ChildProcess(pid_t pid, std::string log) : pid_(pid), log_path_(std::move(log)) {}
  pid_t pid_;
  std::string log_path_;
  std::optional<int> exit_code_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a command to completion (killed after `timeout`), capturing its output.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         absl::Duration timeout = absl::Seconds(30));

// A fresh folder under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Polls `done` every 50 ms until it is true or `timeout` passes.
bool WaitFor(const std::function<bool()>& done, absl::Duration timeout);

void WriteTextFile(const std::string& path, const std::string& text);
// How many times `what` occurs in `text` (e.g. a line in a log).
int CountOccurrences(const std::string& text, const std::string& what);
std::string ReadTextFile(const std::string& path);

// Path of one of our built binaries, e.g. BinPath("rollguard-agent").
std::string BinPath(const std::string& name);
// Path inside the source tree, e.g. SourcePath("deploy/config/agent.yaml").
std::string SourcePath(const std::string& rel);

}  // namespace rollguard::testing
