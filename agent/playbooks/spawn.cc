#include "agent/playbooks/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <cstring>

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

}  // namespace rollguard::agent
