#include "common/severity.h"

namespace rollguard {

Severity ParseSeverity(absl::string_view s) {
  if (s == "critical") return Severity::kCritical;
  if (s == "high") return Severity::kHigh;
  if (s == "warning") return Severity::kWarning;
  if (s == "medium") return Severity::kMedium;
  if (s == "low") return Severity::kLow;
  if (s == "info") return Severity::kInfo;
  return Severity::kUnknown;
}

}  // namespace rollguard
