#include "agent/sources/system_sampler.h"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include "common/files.h"

namespace rollguard::agent {

SystemSampler::SystemSampler(std::string proc_root, std::string disk_path)
    : proc_root_(std::move(proc_root)), disk_path_(std::move(disk_path)) {}

void SystemSampler::LogError(const absl::Status& s) {
  // A broken source would otherwise log every interval forever.
  if (errors_logged_ < 10) {
    spdlog::warn("system sampler: {}", s.ToString());
    if (++errors_logged_ == 10) spdlog::warn("system sampler: further errors not logged");
  }
}

void SystemSampler::Sample(Readings* out) {
  if (auto stat = ReadFile(proc_root_ + "/stat"); stat.ok()) {
    if (auto cpu = ParseProcStatCpu(*stat); cpu.ok()) {
      if (last_cpu_) out->push_back({"cpu_usage", {}, CpuPercent(*last_cpu_, *cpu)});
      last_cpu_ = *cpu;
    } else {
      LogError(cpu.status());
    }
  } else {
    LogError(stat.status());
  }

  if (auto meminfo = ReadFile(proc_root_ + "/meminfo"); meminfo.ok()) {
    if (auto mem = ParseMeminfo(*meminfo); mem.ok()) {
      out->push_back({"memory_usage", {}, MemoryPercent(*mem)});
    } else {
      LogError(mem.status());
    }
  } else {
    LogError(meminfo.status());
  }

  struct statvfs vfs;
  if (::statvfs(disk_path_.c_str(), &vfs) == 0) {
    out->push_back({"disk_usage", {}, DiskPercent(vfs.f_blocks, vfs.f_bfree, vfs.f_bavail)});
  } else {
    LogError(absl::UnavailableError(disk_path_ + ": statvfs: " + std::strerror(errno)));
  }
}

}  // namespace rollguard::agent
