// Human durations in configs and flags: "500ms", "10s", "5m", "2h", "30d", "1h30m".
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace rollguard {

// Parses a positive or zero duration. Accepts Go-style units (ns us ms s m h)
// as absl::ParseDuration does, plus "d" (24h) for retention-style values.
// Errors name the offending text.
[[nodiscard]] absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text);

// Short form for humans: "1.5s", "3m", "2h5m", "4d".
std::string FormatDurationShort(absl::Duration d);

// Parses a point in time for CLI flags: a duration ago ("1h" means an hour
// before `now`), "now", Unix seconds, or RFC 3339 ("2026-11-28T10:00:00Z").
[[nodiscard]] absl::StatusOr<absl::Time> ParseTimeFlag(absl::string_view text, absl::Time now);

}  // namespace rollguard
