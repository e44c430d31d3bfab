#include "agent/sources/proc_parse.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rollguard::agent {
namespace {

// Value of "Key:   123 kB" lines.
bool FindKbField(absl::string_view text, absl::string_view key, uint64_t* out) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
      std::vector<absl::string_view> parts =
          absl::StrSplit(line.substr(key.size() + 1), absl::ByAnyChar(" \t"), absl::SkipEmpty());
      return !parts.empty() && absl::SimpleAtoi(parts[0], out);
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<CpuTimes> ParseProcStatCpu(absl::string_view proc_stat) {
  absl::string_view line = proc_stat.substr(0, proc_stat.find('\n'));
  std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
  if (f.size() < 5 || f[0] != "cpu") {
    return absl::InvalidArgumentError("/proc/stat: first line is not the aggregate 'cpu' line");
  }
  // user nice system idle iowait irq softirq steal [guest guest_nice]
  uint64_t v[8] = {0};
  for (size_t i = 0; i < 8 && i + 1 < f.size(); ++i) {
    if (!absl::SimpleAtoi(f[i + 1], &v[i])) {
      return absl::InvalidArgumentError(absl::StrCat("/proc/stat: bad cpu field '", f[i + 1], "'"));
    }
  }
  CpuTimes t;
  uint64_t idle = v[3] + v[4];
  t.busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  t.total = t.busy + idle;
  return t;
}

double CpuPercent(const CpuTimes& before, const CpuTimes& after) {
  if (after.total <= before.total || after.busy < before.busy) return 0.0;
  double pct = 100.0 * static_cast<double>(after.busy - before.busy) /
               static_cast<double>(after.total - before.total);
  return pct > 100.0 ? 100.0 : pct;
}

absl::StatusOr<MemInfo> ParseMeminfo(absl::string_view meminfo) {
  MemInfo m;
  if (!FindKbField(meminfo, "MemTotal", &m.total_kb) || m.total_kb == 0) {
    return absl::InvalidArgumentError("/proc/meminfo: no MemTotal");
  }
  if (!FindKbField(meminfo, "MemAvailable", &m.available_kb)) {
    return absl::InvalidArgumentError("/proc/meminfo: no MemAvailable (needs Linux 3.14+)");
  }
  return m;
}

double MemoryPercent(const MemInfo& m) {
  if (m.total_kb == 0 || m.available_kb > m.total_kb) return 0.0;
  return 100.0 * static_cast<double>(m.total_kb - m.available_kb) / static_cast<double>(m.total_kb);
}

double DiskPercent(uint64_t blocks, uint64_t bfree, uint64_t bavail) {
  if (bfree > blocks) return 0.0;
  uint64_t used = blocks - bfree;
  uint64_t denom = used + bavail;
  if (denom == 0) return 0.0;
  return 100.0 * static_cast<double>(used) / static_cast<double>(denom);
}

absl::StatusOr<char> ParseProcessState(absl::string_view pid_stat) {
  size_t close = pid_stat.rfind(')');
  if (close == absl::string_view::npos || close + 2 >= pid_stat.size()) {
    return absl::InvalidArgumentError("/proc/PID/stat: no ') STATE' field");
  }
  return pid_stat[close + 2];
}

absl::StatusOr<uint64_t> ParseVmRssKb(absl::string_view pid_status) {
  uint64_t kb = 0;
  if (!FindKbField(pid_status, "VmRSS", &kb)) {
    return absl::InvalidArgumentError("/proc/PID/status: no VmRSS (kernel thread or exited)");
  }
  return kb;
}

absl::StatusOr<int> ParsePidfile(absl::string_view contents) {
  absl::string_view s = absl::StripAsciiWhitespace(contents);
  int pid = 0;
  if (!absl::SimpleAtoi(s, &pid) || pid <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("pidfile does not hold a PID: '", s, "'"));
  }
  return pid;
}

}  // namespace rollguard::agent
