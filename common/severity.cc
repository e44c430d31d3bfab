#include "common/severity.h"

namespace rollguard {

int SeverityRank(absl::string_view s) {
  if (s == "critical") return 5;
  if (s == "high") return 4;
  if (s == "warning") return 3;
  if (s == "medium") return 2;
  if (s == "low") return 1;
  if (s == "info") return 0;
  return -1;
}

}  // namespace rollguard
