// The severity ladder shared by rules, routes and escalation: one ranking, so
// a route's "critical and above" means the same thing everywhere.
#pragma once

#include "absl/strings/string_view.h"

namespace rollguard {

// critical > high > warning > medium > low > info; -1 for anything else.
int SeverityRank(absl::string_view severity);

}  // namespace rollguard
