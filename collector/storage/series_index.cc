#include "collector/storage/series_index.h"

#include "absl/strings/str_cat.h"

namespace rollguard::collector {

std::string SeriesIndex::Canonical(const SeriesKey& key) {
  // NUL cannot appear in metric names and separates label pairs unambiguously.
  std::string out = key.metric;
  for (const auto& [k, v] : key.labels)
    absl::StrAppend(&out, absl::string_view("\0", 1), k, absl::string_view("\0", 1), v);
  return out;
}

SeriesId SeriesIndex::Intern(const SeriesKey& key, bool* is_new) {
  std::string canon = Canonical(key);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_key_.find(canon);
  if (it != by_key_.end()) {
    *is_new = false;
    return it->second;
  }
  SeriesId id = static_cast<SeriesId>(keys_.size());
  keys_.push_back(key);
  persisted_.push_back(false);
  by_key_.emplace(std::move(canon), id);
  by_metric_[key.metric].push_back(id);
  *is_new = true;
  return id;
}

void SeriesIndex::Load(SeriesId id, SeriesKey key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (id >= keys_.size()) {
    keys_.resize(id + 1);
    persisted_.resize(id + 1, true);
  }
  by_key_[Canonical(key)] = id;
  by_metric_[key.metric].push_back(id);
  keys_[id] = std::move(key);
  persisted_[id] = true;
}

bool SeriesIndex::Get(SeriesId id, SeriesKey* key) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (id == 0 || id >= keys_.size() || keys_[id].metric.empty()) return false;
  *key = keys_[id];
  return true;
}

std::vector<SeriesInfo> SeriesIndex::Find(absl::string_view metric, const Labels& matchers) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SeriesInfo> out;
  auto matches = [&](SeriesId id) {
    const SeriesKey& k = keys_[id];
    for (const auto& [name, value] : matchers) {
      auto it = k.labels.find(name);
      if (it == k.labels.end() || it->second != value) return false;
    }
    return true;
  };
  if (!metric.empty()) {
    auto it = by_metric_.find(metric);
    if (it == by_metric_.end()) return out;
    for (SeriesId id : it->second) {
      if (matches(id)) out.push_back({id, keys_[id]});
    }
    return out;
  }
  for (SeriesId id = 1; id < keys_.size(); ++id) {
    if (!keys_[id].metric.empty() && matches(id)) out.push_back({id, keys_[id]});
  }
  return out;
}

std::vector<SeriesId> SeriesIndex::AllIds() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SeriesId> out;
  for (SeriesId id = 1; id < keys_.size(); ++id) {
    if (!keys_[id].metric.empty()) out.push_back(id);
  }
  return out;
}

std::vector<SeriesId> SeriesIndex::Unpersisted(const std::vector<SeriesId>& ids) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SeriesId> out;
  for (SeriesId id : ids) {
    if (id < persisted_.size() && !persisted_[id]) out.push_back(id);
  }
  return out;
}

void SeriesIndex::MarkPersisted(const std::vector<SeriesId>& ids) {
  std::lock_guard<std::mutex> lock(mu_);
  for (SeriesId id : ids) {
    if (id < persisted_.size()) persisted_[id] = true;
  }
}

}  // namespace rollguard::collector
