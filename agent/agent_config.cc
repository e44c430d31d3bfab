#include "agent/agent_config.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/address.h"
#include "common/config_node.h"
#include "common/status_macros.h"

namespace rollguard::agent {

absl::StatusOr<AgentConfig> LoadAgentConfig(const std::string& path, AgentConfig c) {
  ASSIGN_OR_RETURN(ConfigNode root, ConfigNode::LoadFile(path));
  RETURN_IF_ERROR(root.AllowOnly({"collector", "host_id", "interval", "labels", "bot", "disk_path",
                                  "proc_root", "buffer_max_samples", "heartbeat_interval",
                                  "reconnect", "log_level"}));
  if (root.Has("collector")) {
    ASSIGN_OR_RETURN(c.collector, root.String("collector"));
    if (auto a = ValidateAddress("collector", c.collector); !a.ok()) {
      return root.Error("collector", a.status().message());
    }
  }
  if (root.Has("host_id")) { ASSIGN_OR_RETURN(c.host_id, root.String("host_id")); }
  if (root.Has("interval")) { ASSIGN_OR_RETURN(c.interval, root.Duration("interval")); }
  if (root.Has("labels")) { ASSIGN_OR_RETURN(c.labels, root.StringMap("labels")); }
  if (root.Has("disk_path")) { ASSIGN_OR_RETURN(c.disk_path, root.Path("disk_path")); }
  if (root.Has("proc_root")) { ASSIGN_OR_RETURN(c.proc_root, root.Path("proc_root")); }
  if (root.Has("buffer_max_samples")) {
    ASSIGN_OR_RETURN(int64_t n, root.Int("buffer_max_samples", 100, 100'000'000));
    c.buffer_max_samples = static_cast<size_t>(n);
  }
  if (root.Has("heartbeat_interval")) {
    ASSIGN_OR_RETURN(c.heartbeat_interval, root.Duration("heartbeat_interval"));
  }
  if (root.Has("log_level")) { ASSIGN_OR_RETURN(c.log_level, root.String("log_level")); }
  if (root.Has("bot")) {
    ASSIGN_OR_RETURN(ConfigNode bot, root.Child("bot"));
    RETURN_IF_ERROR(bot.AllowOnly({"pidfile", "cmdline_match"}));
    if (bot.Has("pidfile")) { ASSIGN_OR_RETURN(c.bot.pidfile, bot.Path("pidfile")); }
    if (bot.Has("cmdline_match")) {
      ASSIGN_OR_RETURN(c.bot.cmdline_match, bot.String("cmdline_match"));
    }
  }
  if (root.Has("reconnect")) {
    ASSIGN_OR_RETURN(ConfigNode rc, root.Child("reconnect"));
    RETURN_IF_ERROR(rc.AllowOnly({"initial_backoff", "max_backoff"}));
    if (rc.Has("initial_backoff")) {
      ASSIGN_OR_RETURN(c.reconnect_initial, rc.Duration("initial_backoff"));
    }
    if (rc.Has("max_backoff")) { ASSIGN_OR_RETURN(c.reconnect_max, rc.Duration("max_backoff")); }
  }
  if (root.Has("interval") && c.interval < absl::Milliseconds(100)) {
    return root.Error("interval", "must be at least 100ms");
  }
  return c;
}

absl::Status FinalizeAgentConfig(AgentConfig* c) {
  if (c->host_id.empty()) {
    char name[256] = {0};
    if (::gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') {
      return absl::InvalidArgumentError("cannot read the hostname; pass --host-id");
    }
    c->host_id = name;
  }
  RETURN_IF_ERROR(ValidateAddress("--collector", c->collector).status());
  if (c->interval < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError("--interval must be at least 100ms");
  }
  if (c->reconnect_initial <= absl::ZeroDuration() || c->reconnect_max < c->reconnect_initial) {
    return absl::InvalidArgumentError(
        "reconnect: initial_backoff must be > 0 and max_backoff >= initial_backoff");
  }
  if (c->heartbeat_interval < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError("heartbeat_interval must be at least 100ms");
  }
  return absl::OkStatus();
}

}  // namespace rollguard::agent
