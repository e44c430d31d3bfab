// Gives every (metric, labels) the agent reports a small, stable id for the
// life of the agent process, so batches carry ids instead of names.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/labels.h"
#include "common/mutex.h"
#include "rollguard/v1/metrics.pb.h"

namespace rollguard::agent {

// Thread-safe.
class SeriesRegistry {
 public:
  // The id for this series, assigning the next one (starting at 1) if new.
  uint32_t IdFor(const std::string& metric, const Labels& labels);

  // The definition for `id`; false if unknown.
  bool Definition(uint32_t id, rollguard::v1::SeriesDefinition* out) const;

  size_t size() const;

 private:
  mutable Mutex mu_;
  std::map<std::pair<std::string, Labels>, uint32_t> ids_ ABSL_GUARDED_BY(mu_);
  std::vector<rollguard::v1::SeriesDefinition> defs_ ABSL_GUARDED_BY(mu_);  // index id-1
};

}  // namespace rollguard::agent
