#include "cli/command_watch.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/output.h"
#include "common/duration.h"
#include "common/record_states.h"

namespace rollguard::cli {

using rollguard::v1::CommandRecord;

namespace {

constexpr auto kPollEvery = std::chrono::milliseconds(200);

std::string Seconds(int64_t ms) { return absl::StrFormat("%.1fs", static_cast<double>(ms) / 1000); }

std::string ProgressLine(const std::string& host, const CommandRecord* rec, absl::Time now,
                         size_t host_width) {
  std::string state = rec == nullptr ? "pending" : StateName(rec->state());
  std::string line = absl::StrFormat("  %-*s  %-9s", static_cast<int>(host_width), host, state);
  if (rec == nullptr) return line;
  absl::StrAppend(&line, "  ", StepProgress(*rec));
  if (!rec->error().empty() && IsFinal(rec->state())) absl::StrAppend(&line, ": ", rec->error());
  std::string elapsed = Elapsed(*rec, now);
  if (!elapsed.empty()) absl::StrAppend(&line, "  (", elapsed, ")");
  return line;
}

}  // namespace

std::string StateName(rollguard::v1::CommandState state) {
  std::string s = rollguard::v1::CommandState_Name(state);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string StepProgress(const CommandRecord& r) {
  if (r.steps().empty()) return r.command().undo_of().empty() ? "" : "undo";
  const auto& last = r.steps(r.steps_size() - 1);
  int total = std::max(last.total(), r.steps_size());
  if (IsFinal(r.state())) {
    int ok = 0;
    for (const auto& s : r.steps()) {
      ok += OutcomeOf(s) == StepOutcome::kOk || OutcomeOf(s) == StepOutcome::kPlanned;
    }
    return absl::StrCat(ok, "/", total, " steps ok");
  }
  if (OutcomeOf(last) == StepOutcome::kRunning) {
    return absl::StrCat("step ", last.index(), "/", total, " ", last.name());
  }
  // Between steps: the next one is about to start.
  return absl::StrCat("step ", std::min(last.index() + 1, total), "/", total);
}

std::string Elapsed(const CommandRecord& r, absl::Time now) {
  if (IsFinal(r.state())) {
    if (r.duration_ms() > 0) return Seconds(r.duration_ms());
    if (r.started_ms() > 0 && r.finished_ms() > 0) return Seconds(r.finished_ms() - r.started_ms());
    return "";
  }
  int64_t since = r.started_ms() > 0 ? r.started_ms() : r.command().created_ms();
  return Seconds(absl::ToUnixMillis(now) - since);
}

namespace {

// The collector did not answer in time or could not be reached: the rollout
// goes on there regardless, so a watch waits for it rather than giving up.
bool Transient(const absl::Status& s) {
  // Not RESOURCE_EXHAUSTED: an answer too big for the client stays too big.
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s);
}

// Polls until it gets an answer or a lasting error; says once that it waits.
absl::StatusOr<rollguard::v1::RolloutStatus> PollRollout(
    AdminClient& client, const rollguard::v1::GetRolloutRequest& req, bool show) {
  bool said = false;
  while (true) {
    auto status = client.Call(&AdminClient::Stub::GetRollout, req);
    if (status.ok() || !Transient(status.status())) return status;
    if (show && !said) {
      std::fprintf(stderr,
                   "rollguard: the collector is not answering (%s); still watching - the rollout "
                   "goes on without this watch\n",
                   std::string(status.status().message()).c_str());
      said = true;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace

std::string RolloutProgressLine(const rollguard::v1::Rollout& r, absl::Time now) {
  const uint32_t total = r.host_count() > 0 ? r.host_count() : r.host_ids_size();
  const uint32_t done = r.succeeded() + r.failed();
  const uint32_t pending = total > done + r.running() ? total - done - r.running() : 0;
  const int64_t elapsed_ms =
      (r.finished_ms() > 0 ? r.finished_ms() : absl::ToUnixMillis(now)) - r.created_ms();
  std::string line = absl::StrCat(done, "/", total, " done (", r.succeeded(), " succeeded, ",
                                  r.failed(), " failed), ", r.running(), " running, ", pending,
                                  " pending, ", Seconds(elapsed_ms));
  if (done > 0 && done < total && StateOf(r) == RolloutState::kRunning) {
    const int64_t eta_ms = elapsed_ms * (total - done) / done;
    absl::StrAppend(&line, ", about ", Seconds(eta_ms), " to go");
  }
  return line;
}

absl::StatusOr<rollguard::v1::RolloutStatus> WatchRollout(AdminClient& client,
                                                          const std::string& id, bool show,
                                                          bool per_host) {
  const bool tty = isatty(STDOUT_FILENO) != 0;
  rollguard::v1::GetRolloutRequest summary_req;
  summary_req.set_id(id);
  summary_req.set_summary(true);
  rollguard::v1::GetRolloutRequest full_req;
  full_req.set_id(id);
  size_t drawn = 0;
  std::map<std::string, std::string> last_line_state;  // host → what was last printed
  int named_failures = 0;
  std::string last_overall;
  absl::Time last_printed = absl::InfinitePast();
  while (true) {
    // The counters are cheap whatever the fleet's size; the per-host lines
    // cost one record a host, so they are read only for small rollouts or
    // on request.
    auto summary = PollRollout(client, summary_req, show);
    if (!summary.ok()) return summary.status();
    const auto& r = summary->rollout();
    const bool running = StateOf(r) == RolloutState::kRunning;
    const bool hosts = per_host || r.host_count() <= kPerHostLinesUpTo;
    if (!hosts) {
      absl::Time now = absl::Now();
      if (show) {
        for (; named_failures < r.failed_hosts_size(); ++named_failures) {
          if (tty && drawn > 0) std::printf("\r\033[2K");
          std::printf("  %s failed (rollguard commands %s)\n",
                      r.failed_hosts(named_failures).c_str(),
                      r.failed_hosts(named_failures).c_str());
          drawn = 0;
        }
        std::string overall = RolloutProgressLine(r, now);
        if (tty) {
          std::printf("\r\033[2K%s", overall.c_str());
          if (!running) std::printf("\n");
          drawn = 1;
        } else if (!running ||
                   (overall != last_overall && now - last_printed >= absl::Seconds(2))) {
          // Logs and CI: one line every few seconds at most, and the last.
          std::printf("%s\n", overall.c_str());
          last_printed = now;
        }
        last_overall = overall;
        std::fflush(stdout);
      }
      if (!running) return *summary;
      std::this_thread::sleep_for(kPollEvery);
      continue;
    }
    auto status = PollRollout(client, full_req, show);
    if (!status.ok()) return status.status();
    const auto& rollout = status->rollout();
    std::map<std::string, const CommandRecord*> by_host;
    for (const auto& c : status->commands()) by_host[c.host_id()] = &c;
    size_t width = 4;
    for (const auto& h : rollout.host_ids()) width = std::max(width, h.size());
    absl::Time now = absl::Now();
    if (show && tty) {
      if (drawn > 0) std::printf("\033[%zuA", drawn);
      drawn = 0;
      for (const auto& h : rollout.host_ids()) {
        auto it = by_host.find(h);
        std::printf(
            "\033[2K%s\n",
            ProgressLine(h, it == by_host.end() ? nullptr : it->second, now, width).c_str());
        ++drawn;
      }
      std::fflush(stdout);
    } else if (show) {
      for (const auto& h : rollout.host_ids()) {
        auto it = by_host.find(h);
        const CommandRecord* rec = it == by_host.end() ? nullptr : it->second;
        std::string key =
            rec == nullptr ? "pending" : absl::StrCat(StateName(rec->state()), StepProgress(*rec));
        if (last_line_state[h] == key) continue;
        last_line_state[h] = key;
        std::printf("%s\n", ProgressLine(h, rec, now, width).c_str());
      }
      std::fflush(stdout);
    }
    if (StateOf(rollout) != RolloutState::kRunning) return *status;
    std::this_thread::sleep_for(kPollEvery);
  }
}

absl::StatusOr<CommandRecord> WatchCommand(AdminClient& client, const std::string& id, bool show) {
  rollguard::v1::GetCommandRequest req;
  req.set_id(id);
  std::string last;
  while (true) {
    auto rec = client.Call(&AdminClient::Stub::GetCommand, req);
    if (!rec.ok()) return rec.status();
    if (show) {
      std::string line = ProgressLine(rec->host_id(), &*rec, absl::Now(), rec->host_id().size());
      std::string key = absl::StrCat(StateName(rec->state()), StepProgress(*rec));
      if (key != last) {
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
        last = key;
      }
    }
    if (IsFinal(rec->state())) return rec;
    std::this_thread::sleep_for(kPollEvery);
  }
}

void PrintCommandDetail(const CommandRecord& r) {
  const auto& c = r.command();
  std::printf("command   %s\n", c.id().c_str());
  std::printf("host      %s\n", r.host_id().c_str());
  std::printf("playbook  %s%s\n", c.undo_of().empty() ? c.playbook().c_str() : "(undo)",
              c.dry_run() ? " (dry run)" : "");
  if (!c.undo_of().empty()) std::printf("undo of   %s\n", c.undo_of().c_str());
  if (!c.rollout_id().empty()) std::printf("rollout   %s\n", c.rollout_id().c_str());
  std::printf("by        %s%s%s\n", c.requested_by().c_str(), c.reason().empty() ? "" : " - ",
              c.reason().c_str());
  std::printf("state     %s%s%s\n", StateName(r.state()).c_str(), r.error().empty() ? "" : ": ",
              r.error().c_str());
  std::printf("created   %s UTC", FormatTimestamp(c.created_ms()).c_str());
  if (r.finished_ms() > 0) {
    std::printf(", finished %s UTC", FormatTimestamp(r.finished_ms()).c_str());
  }
  std::string elapsed = Elapsed(r, absl::Now());
  std::printf("%s\n", elapsed.empty() ? "" : absl::StrCat(" (", elapsed, ")").c_str());
  if (r.steps().empty()) return;
  Table t({"#", "step", "status", "took", "output"});
  for (const auto& s : r.steps()) {
    // The first line of the output; `-o json` has all of it.
    std::string out = s.output().substr(0, s.output().find('\n'));
    if (out.size() > 100) out = out.substr(0, 97) + "...";
    t.AddRow({absl::StrCat(s.index(), "/", s.total()), s.name(), s.status(),
              absl::StrCat(s.duration_ms(), "ms"), out});
  }
  std::fputs(t.Render().c_str(), stdout);
}

}  // namespace rollguard::cli
