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
  // A template's instances live in a slice of their own: bot@eu.service in
  // system-bot.slice ('-' in the name escaped as systemd does). A unit with
  // Slice= of its own needs bot.cgroup.
  const size_t at = unit.find('@');
  if (at == std::string::npos) return absl::StrCat("/sys/fs/cgroup/system.slice/", unit);
  std::string prefix;
  for (char c : unit.substr(0, at)) {
    if (c == '-') {
      prefix += "\\x2d";
    } else {
      prefix += c;
    }
  }
  return absl::StrCat("/sys/fs/cgroup/system.slice/system-", prefix, ".slice/", unit);
}

std::optional<double> CgroupResidentMb(const std::string& cgroup) {
  // Like VmRSS (what the pidfile path reports and memory_below_mb checks):
  // anonymous memory and mapped files, not the page cache a bot's log
  // writes fill, which memory.current also counts.
  auto stat = ReadFile(cgroup + "/memory.stat");
  if (!stat.ok()) return std::nullopt;
  uint64_t anon = 0, mapped = 0;
  bool found = false;
  for (absl::string_view line : absl::StrSplit(*stat, '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, ' ');
    if (kv.first == "anon") found = absl::SimpleAtoi(kv.second, &anon);
    if (kv.first == "file_mapped") (void)absl::SimpleAtoi(kv.second, &mapped);
  }
  if (!found) return std::nullopt;
  return static_cast<double>(anon + mapped) / (1024.0 * 1024.0);
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
    if (std::optional<double> mb = CgroupResidentMb(match_.cgroup)) {
      out->push_back({"bot_memory_mb", {}, *mb});
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
