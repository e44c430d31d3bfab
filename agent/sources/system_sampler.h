// Host-wide cpu_usage, memory_usage and disk_usage (percent), read from /proc
// and statvfs. Costs three small file reads and one syscall per interval.
#pragma once

#include <optional>
#include <string>

#include "agent/sources/proc_parse.h"
#include "agent/sources/reading.h"

namespace rollguard::agent {

// Not thread-safe: called from the agent's sampling loop only.
class SystemSampler {
 public:
  // proc_root is "/proc" except in tests; disk_path is the filesystem whose
  // usage is reported (the runbook uses "/").
  SystemSampler(std::string proc_root, std::string disk_path);

  // Appends readings; a source that fails is logged (rate-limited) and skipped
  // so the others still report. cpu_usage needs two readings: the first call
  // primes it and reports nothing for cpu.
  void Sample(Readings* out);

 private:
  std::string proc_root_;
  std::string disk_path_;
  std::optional<CpuTimes> last_cpu_;
  int errors_logged_ = 0;
  void LogError(const absl::Status& s);
};

}  // namespace rollguard::agent
