// What the agent buffers and sends: numbered batches of samples, each naming
// its series by the SeriesRegistry's id.
#pragma once

#include <cstdint>
#include <vector>

namespace rollguard::agent {

struct BufferedSample {
  uint32_t series_id = 0;
  int64_t timestamp_ms = 0;
  double value = 0;
};

struct Batch {
  uint64_t sequence = 0;
  std::vector<BufferedSample> samples;
};

}  // namespace rollguard::agent
