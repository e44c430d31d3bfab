#include "tests/fakes/memory_storage.h"

#include "absl/strings/str_cat.h"

namespace rollguard::testing {

using collector::Point;
using collector::SeriesId;
using collector::SeriesInfo;
using collector::SeriesKey;
using collector::StoredSample;
using collector::Table;

absl::Status MemoryRecordStore::Put(Table table, absl::string_view key, absl::string_view value) {
  MutexLock lock(&mu_);
  tables_[static_cast<int>(table)][std::string(key)] = std::string(value);
  return absl::OkStatus();
}

absl::Status MemoryRecordStore::Delete(Table table, absl::string_view key) {
  MutexLock lock(&mu_);
  tables_[static_cast<int>(table)].erase(std::string(key));
  return absl::OkStatus();
}

absl::Status MemoryRecordStore::Scan(
    Table table, absl::string_view start, absl::string_view end,
    const std::function<bool(absl::string_view, absl::string_view)>& fn) const {
  // A copy, so `fn` may write records (as the real store allows).
  std::map<std::string, std::string> rows;
  {
    MutexLock lock(&mu_);
    const auto& t = tables_[static_cast<int>(table)];
    auto to = end.empty() ? t.end() : t.lower_bound(std::string(end));
    rows.insert(t.lower_bound(std::string(start)), to);
  }
  for (const auto& [k, v] : rows) {
    if (!fn(k, v)) break;
  }
  return absl::OkStatus();
}

namespace {
std::string Canonical(const SeriesKey& key) {
  std::string out = key.metric;
  for (const auto& [k, v] : key.labels) absl::StrAppend(&out, "\n", k, "=", v);
  return out;
}
}  // namespace

SeriesId MemoryStorage::Intern(const SeriesKey& key) {
  MutexLock lock(&mu_);
  auto [it, added] = ids_.emplace(Canonical(key), static_cast<SeriesId>(keys_.size()));
  if (added) keys_.push_back(key);
  return it->second;
}

bool MemoryStorage::HasSeries(const SeriesKey& key) const {
  MutexLock lock(&mu_);
  return ids_.contains(Canonical(key));
}

size_t MemoryStorage::SeriesCount() const {
  MutexLock lock(&mu_);
  return ids_.size();
}

size_t MemoryStorage::SeriesCountOfHost(absl::string_view host) const {
  MutexLock lock(&mu_);
  size_t n = 0;
  for (size_t id = 1; id < keys_.size(); ++id) {
    auto it = keys_[id].labels.find("host");
    n += it != keys_[id].labels.end() && it->second == host;
  }
  return n;
}

absl::Status MemoryStorage::Append(absl::Span<const StoredSample> samples) {
  MutexLock lock(&mu_);
  for (const StoredSample& s : samples) {
    if (s.series == 0 || s.series >= keys_.size()) {
      return absl::InvalidArgumentError(absl::StrCat("append: unknown series id ", s.series));
    }
  }
  for (const StoredSample& s : samples) points_[s.series][s.timestamp_ms] = s.value;
  return absl::OkStatus();
}

bool MemoryStorage::GetSeries(SeriesId id, SeriesKey* key) const {
  MutexLock lock(&mu_);
  if (id == 0 || id >= keys_.size()) return false;
  *key = keys_[id];
  return true;
}

std::vector<SeriesInfo> MemoryStorage::FindSeries(absl::string_view metric,
                                                  const Labels& matchers) const {
  MutexLock lock(&mu_);
  std::vector<SeriesInfo> out;
  for (SeriesId id = 1; id < keys_.size(); ++id) {
    const SeriesKey& k = keys_[id];
    if (!metric.empty() && k.metric != metric) continue;
    bool all = true;
    for (const auto& [name, value] : matchers) {
      auto it = k.labels.find(name);
      all = all && it != k.labels.end() && it->second == value;
    }
    if (all) out.push_back({id, k});
  }
  return out;
}

absl::StatusOr<std::vector<Point>> MemoryStorage::Query(SeriesId id, int64_t start_ms,
                                                        int64_t end_ms, size_t limit) const {
  MutexLock lock(&mu_);
  std::vector<Point> out;
  auto series = points_.find(id);
  if (series == points_.end() || end_ms <= start_ms) return out;
  const auto& pts = series->second;
  for (auto it = pts.lower_bound(start_ms); it != pts.end() && it->first < end_ms; ++it) {
    out.push_back({it->first, it->second});
  }
  if (limit > 0 && out.size() > limit) {
    out.erase(out.begin(), out.end() - static_cast<ptrdiff_t>(limit));
  }
  return out;
}

absl::StatusOr<std::optional<Point>> MemoryStorage::Latest(SeriesId id) const {
  MutexLock lock(&mu_);
  auto series = points_.find(id);
  if (series == points_.end() || series->second.empty()) return std::optional<Point>();
  const auto& [t, v] = *series->second.rbegin();
  return std::optional<Point>(Point{t, v});
}

absl::Status MemoryStorage::DeleteBefore(int64_t cutoff_ms) {
  MutexLock lock(&mu_);
  for (auto& [id, pts] : points_) pts.erase(pts.begin(), pts.lower_bound(cutoff_ms));
  return absl::OkStatus();
}

}  // namespace rollguard::testing
