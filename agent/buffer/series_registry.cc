#include "agent/buffer/series_registry.h"

#include "common/mutex.h"

namespace rollguard::agent {

uint32_t SeriesRegistry::IdFor(const std::string& metric, const Labels& labels) {
  MutexLock lock(&mu_);
  auto [it, inserted] = ids_.try_emplace({metric, labels}, 0);
  if (inserted) {
    it->second = static_cast<uint32_t>(defs_.size() + 1);
    rollguard::v1::SeriesDefinition def;
    def.set_id(it->second);
    def.set_metric(metric);
    for (const auto& [k, v] : labels) (*def.mutable_labels())[k] = v;
    defs_.push_back(std::move(def));
  }
  return it->second;
}

bool SeriesRegistry::Definition(uint32_t id, rollguard::v1::SeriesDefinition* out) const {
  MutexLock lock(&mu_);
  if (id == 0 || id > defs_.size()) return false;
  *out = defs_[id - 1];
  return true;
}

size_t SeriesRegistry::size() const {
  MutexLock lock(&mu_);
  return defs_.size();
}

}  // namespace rollguard::agent
