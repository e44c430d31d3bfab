#include "agent/playbooks/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace rollguard::agent {
namespace {

// Owns posix_spawn's two attribute objects.
struct SpawnAttributes {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnAttributes() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnAttributes() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
};

// The agent's environment with `overrides` set over it, as KEY=VALUE strings.
std::vector<std::string> Environment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    std::string key =
        eq == nullptr ? std::string(*e) : std::string(*e, static_cast<size_t>(eq - *e));
    // systemd's hand-over to the agent itself: a bot that read NOTIFY_SOCKET
    // could tell systemd the agent is ready or stopping.
    if (key == "NOTIFY_SOCKET" || key == "JOURNAL_STREAM" || key == "WATCHDOG_PID" ||
        key == "WATCHDOG_USEC" || key == "LISTEN_FDS" || key == "LISTEN_PID") {
      continue;
    }
    if (!overrides.contains(key)) env.emplace_back(*e);
  }
  for (const auto& [k, v] : overrides) env.push_back(absl::StrCat(k, "=", v));
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

absl::StatusOr<pid_t> Spawn(const SpawnOptions& o) {
  if (o.argv.empty()) return absl::InvalidArgumentError("empty command");
  // Everything the child needs is built here, before it exists.
  std::vector<std::string> argv_strings = o.argv;
  std::vector<std::string> env_strings = Environment(o.env);
  std::vector<char*> argv = Pointers(argv_strings);
  std::vector<char*> envp = Pointers(env_strings);

  SpawnAttributes a;
  int rc = 0;
  if (o.stdout_fd >= 0) {
    rc |= posix_spawn_file_actions_adddup2(&a.actions, o.stdout_fd, 1);
    rc |= posix_spawn_file_actions_adddup2(&a.actions, o.stdout_fd, 2);
  } else {
    rc |= posix_spawn_file_actions_addopen(&a.actions, 1, "/dev/null", O_WRONLY, 0);
    rc |= posix_spawn_file_actions_adddup2(&a.actions, 1, 2);
  }
  rc |= posix_spawn_file_actions_addopen(&a.actions, 0, "/dev/null", O_RDONLY, 0);
  if (!o.cwd.empty()) rc |= posix_spawn_file_actions_addchdir_np(&a.actions, o.cwd.c_str());
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  rc |= posix_spawnattr_setsigmask(&a.attr, &none);
  rc |= posix_spawnattr_setsigdefault(&a.attr, &all);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (o.group == ProcessGroup::kOwnGroup) {
    flags |= POSIX_SPAWN_SETPGROUP;
    rc |= posix_spawnattr_setpgroup(&a.attr, 0);
  } else {
    flags |= POSIX_SPAWN_SETSID;
  }
  rc |= posix_spawnattr_setflags(&a.attr, flags);
  if (rc != 0) return absl::InternalError("setting up posix_spawn failed");

  pid_t pid = 0;
  int err = posix_spawnp(&pid, argv[0], &a.actions, &a.attr, argv.data(), envp.data());
  if (err != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run ", o.argv[0], ": ", std::strerror(err)));
  }
  return pid;
}

bool CapturedRun::succeeded() const {
  return !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string CapturedRun::Failure(absl::Duration timeout) const {
  if (timed_out) {
    return absl::StrCat("timed out after ", absl::FormatDuration(timeout), "; output: ", output);
  }
  return absl::StrCat("exited with status ", WIFEXITED(status) ? WEXITSTATUS(status) : -1, ": ",
                      output);
}

absl::StatusOr<CapturedRun> SpawnAndCapture(SpawnOptions options, absl::Duration timeout,
                                            const Clock& clock) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return absl::UnavailableError("pipe failed");
  options.stdout_fd = pipefd[1];
  options.group = ProcessGroup::kOwnGroup;  // so a timeout kills what it started, too
  absl::StatusOr<pid_t> spawned = Spawn(options);
  ::close(pipefd[1]);
  if (!spawned.ok()) {
    ::close(pipefd[0]);
    return spawned.status();
  }
  const pid_t pid = *spawned;
  ::fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
  CapturedRun run;
  const absl::Time deadline = clock.Now() + timeout;
  bool done = false;
  char buf[4096];
  while (!done) {
    ssize_t n;
    while ((n = ::read(pipefd[0], buf, sizeof(buf))) > 0) {
      run.output.append(buf, static_cast<size_t>(n));
      if (run.output.size() > 8192) run.output.erase(0, run.output.size() - 8192);  // the tail
    }
    if (::waitpid(pid, &run.status, WNOHANG) == pid) {
      done = true;
    } else if (clock.Now() > deadline) {
      ::kill(-pid, SIGKILL);  // the whole group: a shell's children as well
      ::waitpid(pid, &run.status, 0);
      done = run.timed_out = true;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ::close(pipefd[0]);
  while (!run.output.empty() && (run.output.back() == '\n' || run.output.back() == '\r')) {
    run.output.pop_back();
  }
  return run;
}

}  // namespace rollguard::agent
