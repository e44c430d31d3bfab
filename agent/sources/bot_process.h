// Finds the bot process and reports bot_up (0/1), bot_pid and bot_memory_mb.
// Found by its systemd unit's cgroup (a bot under `manager: systemd`: the
// lowest live PID in it, and the whole unit's resident memory), by pidfile (exact), or failing
// those by a substring of its command line, as the runbook's
// check_bot_status does. Finding by pattern is only for watching; stopping
// is always by PID or through systemd.
#pragma once

#include <optional>
#include <string>

#include "agent/sources/reading.h"

namespace rollguard::agent {

struct BotMatch {
  std::string pidfile;        // absolute path, or empty
  std::string cmdline_match;  // substring of the NUL-joined-by-space cmdline, or empty
  std::string cgroup;         // the unit's cgroup folder (cgroup v2), or empty
};

// The cgroup folder systemd gives a system unit (no Slice= of its own; a
// template's instance in its template's slice).
std::string UnitCgroup(const std::string& unit);

// The unit's resident memory in MB from its memory.stat (anon + file_mapped,
// as VmRSS counts; not page cache), or nullopt.
std::optional<double> CgroupResidentMb(const std::string& cgroup);

class BotProcessProbe {
 public:
  BotProcessProbe(std::string proc_root, BotMatch match);

  // True when neither a pidfile nor a pattern is configured: nothing to report.
  bool disabled() const {
    return match_.pidfile.empty() && match_.cmdline_match.empty() && match_.cgroup.empty();
  }

  // The live bot PID, if any. A zombie or a stale pidfile counts as not running.
  std::optional<int> FindPid() const;

  void Sample(Readings* out) const;

 private:
  bool IsAlive(int pid) const;
  std::optional<int> FindByCmdline() const;
  // The lowest live PID in the cgroup (a bot's main process starts first).
  std::optional<int> FindInCgroup() const;

  std::string proc_root_;
  BotMatch match_;
};

}  // namespace rollguard::agent
