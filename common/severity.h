// The severity ladder shared by rules, routes and escalation: one ranking, so
// a route's "critical and above" means the same thing everywhere.
#pragma once

#include "absl/strings/string_view.h"

namespace rollguard {

// In rank order; records and configs spell them as the lower-case words.
enum class Severity { kUnknown = -1, kInfo, kLow, kMedium, kWarning, kHigh, kCritical };

// "critical" → kCritical, ...; anything else kUnknown.
Severity ParseSeverity(absl::string_view severity);

// critical 5 > high > warning > medium > low > info 0; -1 for anything else.
inline int SeverityRank(absl::string_view severity) {
  return static_cast<int>(ParseSeverity(severity));
}

}  // namespace rollguard
