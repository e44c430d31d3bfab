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

// Polls until the rollout is no longer running. `show` prints progress.
[[nodiscard]] absl::StatusOr<rollguard::v1::RolloutStatus> WatchRollout(AdminClient& client,
                                                                        const std::string& id,
                                                                        bool show);
// Polls until the command reaches a final state.
[[nodiscard]] absl::StatusOr<rollguard::v1::CommandRecord> WatchCommand(AdminClient& client,
                                                                        const std::string& id,
                                                                        bool show);

// A command's header and its steps with status, duration and output.
void PrintCommandDetail(const rollguard::v1::CommandRecord& record);

}  // namespace rollguard::cli
