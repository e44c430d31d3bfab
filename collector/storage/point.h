// One sample of one series: what the chunk codec and the heads hold.
#pragma once

#include <cstdint>

namespace rollguard::collector {

struct Point {
  int64_t timestamp_ms = 0;
  double value = 0;
};

}  // namespace rollguard::collector
