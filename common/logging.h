// One logging set-up for all three programs: spdlog to stderr, with the
// program name, so interleaved logs in a demo or test stay readable.
//
// Under systemd (stderr connected to the journal, $JOURNAL_STREAM) each line
// starts with its syslog priority instead of a time stamp ("<3>" for error,
// sd-daemon(3)), so `journalctl -p warning` filters rollguard's lines and the
// journal's own time stamps are not doubled.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rollguard {

// level: trace, debug, info, warn, error. Unknown levels are an error.
[[nodiscard]] absl::Status InitLogging(absl::string_view program, absl::string_view level);

// True when $JOURNAL_STREAM names the file stderr is (systemd's check, so a
// child that inherited the variable but writes elsewhere is not fooled).
bool StderrIsJournal();

// `text` with newlines and other control characters escaped ("\n", "\x1b"):
// what the journal gets, one entry per message whatever it holds.
std::string OneLine(absl::string_view text);

// The "<N>" prefix journald reads as the line's priority, for a spdlog level.
absl::string_view JournalPriorityPrefix(spdlog::level::level_enum level);

}  // namespace rollguard
