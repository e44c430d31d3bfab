// Following commands and rollouts to their end: polls the collector and shows
// per-host progress (queued, running step i/n, succeeded, failed). On a
// terminal the lines are redrawn in place; otherwise one line per change, so
// logs and CI output stay readable.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "cli/client.h"
#include "rollguard/v1/admin_service.pb.h"

namespace rollguard::cli {

// "queued", "running", "succeeded", ...
std::string StateName(rollguard::v1::CommandState state);
// "step 3/9 start service" while running, "9/9 steps" when done.
std::string StepProgress(const rollguard::v1::CommandRecord& record);
// How long it ran (or has been running).
std::string Elapsed(const rollguard::v1::CommandRecord& record, absl::Time now);

// Rollouts up to this many hosts are shown a line per host; bigger ones an
// overall line (and each failed host as it fails), unless per-host is asked.
inline constexpr uint32_t kPerHostLinesUpTo = 50;

// "1234/10000 done (1200 succeeded, 34 failed), 1000 running, 7766 pending,
// 12.3s, about 1m20s to go", from the rollout's counters.
std::string RolloutProgressLine(const rollguard::v1::Rollout& rollout, absl::Time now);

// Polls until the rollout is no longer running. `show` prints progress. It
// never gives up while the collector is merely slow or away (the rollout goes
// on there): it says so once and keeps polling. A big rollout's result is its
// summary (counters, the first failed hosts), without per-host commands.
[[nodiscard]] absl::StatusOr<rollguard::v1::RolloutStatus> WatchRollout(AdminClient& client,
                                                                        const std::string& id,
                                                                        bool show,
                                                                        bool per_host = false);
// Polls until the command reaches a final state.
[[nodiscard]] absl::StatusOr<rollguard::v1::CommandRecord> WatchCommand(AdminClient& client,
                                                                        const std::string& id,
                                                                        bool show);

// A command's header and its steps with status, duration and output.
void PrintCommandDetail(const rollguard::v1::CommandRecord& record);

}  // namespace rollguard::cli
