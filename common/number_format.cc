#include "common/number_format.h"

#include <cmath>

#include "absl/strings/str_format.h"

namespace rollguard {

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v != 0 && std::fabs(v) < 0.01) return absl::StrFormat("%.3g", v);
  std::string s = absl::StrFormat("%.2f", v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

}  // namespace rollguard
