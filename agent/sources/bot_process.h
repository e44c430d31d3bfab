// Finds the bot process and reports bot_up (0/1), bot_pid and bot_memory_mb.
// Found by pidfile (preferred: exact) or, failing that, by a substring of its
// command line, as the runbook's check_bot_status does. Finding by pattern is
// only for watching; stopping is always by PID.
#pragma once

#include <optional>
#include <string>

#include "agent/sources/reading.h"

namespace rollguard::agent {

struct BotMatch {
  std::string pidfile;        // absolute path, or empty
  std::string cmdline_match;  // substring of the NUL-joined-by-space cmdline, or empty
};

class BotProcessProbe {
 public:
  BotProcessProbe(std::string proc_root, BotMatch match);

  // True when neither a pidfile nor a pattern is configured: nothing to report.
  bool disabled() const { return match_.pidfile.empty() && match_.cmdline_match.empty(); }

  // The live bot PID, if any. A zombie or a stale pidfile counts as not running.
  std::optional<int> FindPid() const;

  void Sample(Readings* out) const;

 private:
  bool IsAlive(int pid) const;
  std::optional<int> FindByCmdline() const;

  std::string proc_root_;
  BotMatch match_;
};

}  // namespace rollguard::agent
