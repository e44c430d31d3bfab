#include "common/duration.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rollguard {

absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text) {
  std::string s(absl::StripAsciiWhitespace(text));
  if (s.empty()) return absl::InvalidArgumentError("empty duration");
  absl::Duration total = absl::ZeroDuration();
  // Peel off "<number>d" prefixes; absl handles the rest.
  size_t d_pos = s.find('d');
  if (d_pos != std::string::npos) {
    double days = 0;
    if (!absl::SimpleAtod(s.substr(0, d_pos), &days) || days < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid duration '", text, "' (use e.g. 500ms, 10s, 5m, 2h, 30d)"));
    }
    total += absl::Hours(24) * days;
    s = s.substr(d_pos + 1);
    if (s.empty()) return total;
  }
  absl::Duration rest;
  if (!absl::ParseDuration(s, &rest)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid duration '", text, "' (use e.g. 500ms, 10s, 5m, 2h, 30d)"));
  }
  if (rest < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("negative duration '", text, "'"));
  }
  return total + rest;
}

std::string FormatDurationShort(absl::Duration d) {
  if (d < absl::ZeroDuration()) return "-" + FormatDurationShort(-d);
  if (d < absl::Seconds(1)) return absl::StrCat(absl::ToInt64Milliseconds(d), "ms");
  if (d < absl::Minutes(1)) return absl::StrFormat("%.1fs", absl::ToDoubleSeconds(d));
  int64_t secs = absl::ToInt64Seconds(d);
  if (d < absl::Hours(1)) {
    return secs % 60 ? absl::StrCat(secs / 60, "m", secs % 60, "s") : absl::StrCat(secs / 60, "m");
  }
  if (d < absl::Hours(24)) {
    int64_t mins = secs / 60;
    return mins % 60 ? absl::StrCat(mins / 60, "h", mins % 60, "m") : absl::StrCat(mins / 60, "h");
  }
  int64_t hours = secs / 3600;
  return hours % 24 ? absl::StrCat(hours / 24, "d", hours % 24, "h")
                    : absl::StrCat(hours / 24, "d");
}

absl::StatusOr<absl::Time> ParseTimeFlag(absl::string_view text, absl::Time now) {
  std::string s(absl::StripAsciiWhitespace(text));
  if (s == "now") return now;
  int64_t unix_secs = 0;
  if (absl::SimpleAtoi(s, &unix_secs)) return absl::FromUnixSeconds(unix_secs);
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, s, &t, &err)) return t;
  // A date, or a date and time without a zone, is UTC (what the CLI prints).
  for (const char* format :
       {"%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"}) {
    if (absl::ParseTime(format, s, absl::UTCTimeZone(), &t, &err)) return t;
  }
  auto ago = ParseDuration(s);
  if (ago.ok()) return now - *ago;
  return absl::InvalidArgumentError(
      absl::StrCat("invalid time '", text,
                   "' (use a duration ago such as 1h, 'now', Unix seconds, a UTC date such as "
                   "2026-11-28 or '2026-11-28 10:00', or RFC 3339 such as 2026-11-28T10:00:00Z)"));
}

}  // namespace rollguard
