// Pure parsers for the /proc files the agent samples. They take file contents,
// not paths, so tests feed them fixture files. Percentages match psutil, which
// the runbook's HealthMonitor uses, so thresholds carry over unchanged.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rollguard::agent {

// Aggregate CPU jiffies from the first "cpu " line of /proc/stat.
struct CpuTimes {
  uint64_t busy = 0;   // user+nice+system+irq+softirq+steal
  uint64_t total = 0;  // busy + idle + iowait
};
[[nodiscard]] absl::StatusOr<CpuTimes> ParseProcStatCpu(absl::string_view proc_stat);

// Percent of CPU busy between two readings (0 when no time passed).
double CpuPercent(const CpuTimes& before, const CpuTimes& after);

struct MemInfo {
  uint64_t total_kb = 0;
  uint64_t available_kb = 0;
};
// Needs MemTotal and MemAvailable (Linux >= 3.14).
[[nodiscard]] absl::StatusOr<MemInfo> ParseMeminfo(absl::string_view meminfo);

// psutil.virtual_memory().percent: (total - available) / total * 100.
double MemoryPercent(const MemInfo& m);

// psutil.disk_usage().percent from statvfs fields: used / (used + avail) * 100,
// where used = blocks - bfree and avail = bavail (what non-root may still use).
double DiskPercent(uint64_t blocks, uint64_t bfree, uint64_t bavail);

// From /proc/PID/stat: the one-letter state (R, S, D, Z, ...). The command
// name may contain spaces and parentheses, so parse from the last ')'.
[[nodiscard]] absl::StatusOr<char> ParseProcessState(absl::string_view pid_stat);

// VmRSS from /proc/PID/status, in kB.
[[nodiscard]] absl::StatusOr<uint64_t> ParseVmRssKb(absl::string_view pid_status);

// A pidfile holds a decimal PID, optionally followed by whitespace.
[[nodiscard]] absl::StatusOr<int> ParsePidfile(absl::string_view contents);

}  // namespace rollguard::agent
