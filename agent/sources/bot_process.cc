#include "agent/sources/bot_process.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/sources/proc_parse.h"
#include "common/files.h"

namespace rollguard::agent {

BotProcessProbe::BotProcessProbe(std::string proc_root, BotMatch match)
    : proc_root_(std::move(proc_root)), match_(std::move(match)) {}

bool BotProcessProbe::IsAlive(int pid) const {
  auto stat = ReadFile(absl::StrCat(proc_root_, "/", pid, "/stat"));
  if (!stat.ok()) return false;
  auto state = ParseProcessState(*stat);
  return state.ok() && *state != 'Z' && *state != 'X';
}

std::optional<int> BotProcessProbe::FindByCmdline() const {
  std::error_code ec;
  int self = ::getpid();
  for (const auto& entry : std::filesystem::directory_iterator(proc_root_, ec)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid) || pid == self) continue;
    auto cmdline = ReadFile(entry.path().string() + "/cmdline");
    if (!cmdline.ok() || cmdline->empty()) continue;
    std::replace(cmdline->begin(), cmdline->end(), '\0', ' ');
    if (cmdline->find(match_.cmdline_match) != std::string::npos && IsAlive(pid)) return pid;
  }
  return std::nullopt;
}

std::string UnitCgroup(const std::string& unit) {
  return absl::StrCat("/sys/fs/cgroup/system.slice/", unit);
}

std::optional<int> BotProcessProbe::FindInCgroup() const {
  auto procs = ReadFile(match_.cgroup + "/cgroup.procs");
  if (!procs.ok()) return std::nullopt;  // the unit is not running (no cgroup)
  std::optional<int> lowest;
  for (absl::string_view line : absl::StrSplit(*procs, '\n', absl::SkipEmpty())) {
    int pid = 0;
    if (absl::SimpleAtoi(line, &pid) && (!lowest || pid < *lowest) && IsAlive(pid)) lowest = pid;
  }
  return lowest;
}

std::optional<int> BotProcessProbe::FindPid() const {
  if (!match_.cgroup.empty()) return FindInCgroup();
  if (!match_.pidfile.empty()) {
    auto contents = ReadFile(match_.pidfile);
    if (contents.ok()) {
      auto pid = ParsePidfile(*contents);
      if (pid.ok() && IsAlive(*pid)) return *pid;
    }
    // A missing or stale pidfile means stopped, unless a pattern is also given.
  }
  if (!match_.cmdline_match.empty()) return FindByCmdline();
  return std::nullopt;
}

void BotProcessProbe::Sample(Readings* out) const {
  if (disabled()) return;
  std::optional<int> pid = FindPid();
  out->push_back({"bot_up", {}, pid ? 1.0 : 0.0});
  if (!pid) return;
  out->push_back({"bot_pid", {}, static_cast<double>(*pid)});
  if (!match_.cgroup.empty()) {
    auto current = ReadFile(match_.cgroup + "/memory.current");
    uint64_t bytes = 0;
    if (current.ok() && absl::SimpleAtoi(absl::StripAsciiWhitespace(*current), &bytes)) {
      out->push_back({"bot_memory_mb", {}, static_cast<double>(bytes) / (1024.0 * 1024.0)});
      return;
    }
  }
  auto status = ReadFile(absl::StrCat(proc_root_, "/", *pid, "/status"));
  if (status.ok()) {
    if (auto kb = ParseVmRssKb(*status); kb.ok()) {
      out->push_back({"bot_memory_mb", {}, static_cast<double>(*kb) / 1024.0});
    }
  }
}

}  // namespace rollguard::agent
