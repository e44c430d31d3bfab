// Numbers for people: logs, alert summaries, notifications, CLI tables.
#pragma once

#include <string>

namespace rollguard {

// Up to 2 decimals with trailing zeros dropped (42, 42.5, 0.33); 3 significant
// digits below 0.01 (0.00123); NaN, +Inf, -Inf spelled out.
std::string FormatValue(double v);

}  // namespace rollguard
