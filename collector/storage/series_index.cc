#include "collector/storage/series_index.h"

#include <cstring>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "common/mutex.h"

namespace rollguard::collector {

namespace {

constexpr size_t kBlockSize = size_t{1} << 20;
constexpr absl::string_view kSep("\0", 1);

// The next NUL-separated field of `rest`, removed from it.
absl::string_view NextField(absl::string_view* rest) {
  size_t end = rest->find('\0');
  absl::string_view field = rest->substr(0, end);
  rest->remove_prefix(end == absl::string_view::npos ? rest->size() : end + 1);
  return field;
}

}  // namespace

SeriesIndex::SeriesIndex() : by_key_(0, KeyHash{this}, KeyEq{this}) {}

// The map's functors run inside its calls, which all happen under mu_.
size_t SeriesIndex::KeyHash::operator()(SeriesId id) const {
  index->mu_.AssertHeld();
  return absl::Hash<absl::string_view>()(index->CanonicalOf(id));
}
size_t SeriesIndex::KeyHash::operator()(absl::string_view canonical) const {
  return absl::Hash<absl::string_view>()(canonical);
}
bool SeriesIndex::KeyEq::operator()(SeriesId a, absl::string_view b) const {
  index->mu_.AssertHeld();
  return index->CanonicalOf(a) == b;
}

std::string SeriesIndex::Canonical(const SeriesKey& key) {
  // NUL cannot appear in metric names and separates label pairs unambiguously.
  std::string out = key.metric;
  for (const auto& [k, v] : key.labels) absl::StrAppend(&out, kSep, k, kSep, v);
  return out;
}

SeriesKey SeriesIndex::Parse(absl::string_view canonical) {
  SeriesKey key;
  key.metric = std::string(NextField(&canonical));
  while (!canonical.empty()) {
    absl::string_view name = NextField(&canonical);
    absl::string_view value = NextField(&canonical);
    key.labels.emplace(std::string(name), std::string(value));
  }
  return key;
}

bool SeriesIndex::Matches(absl::string_view canonical, const Labels& matchers) {
  if (matchers.empty()) return true;
  NextField(&canonical);  // the metric
  size_t found = 0;
  while (!canonical.empty()) {
    absl::string_view name = NextField(&canonical);
    absl::string_view value = NextField(&canonical);
    auto it = matchers.find(std::string(name));
    if (it == matchers.end()) continue;
    if (it->second != value) return false;
    ++found;
  }
  return found == matchers.size();
}

absl::string_view SeriesIndex::CanonicalOf(SeriesId id) const {
  uint64_t w = where_[id];
  const char* p = blocks_[w >> 32].get() + (w & 0xffffffffu);
  uint32_t len = 0;
  std::memcpy(&len, p, 4);
  return absl::string_view(p + 4, len);
}

uint64_t SeriesIndex::Store(absl::string_view canonical) {
  const size_t need = 4 + canonical.size();
  if (blocks_.empty() || block_used_ + need > block_size_) {
    block_size_ = std::max(kBlockSize, need);  // an oversized key gets a block of its own
    blocks_.push_back(std::make_unique<char[]>(block_size_));
    block_used_ = 0;
  }
  char* p = blocks_.back().get() + block_used_;
  uint32_t len = static_cast<uint32_t>(canonical.size());
  std::memcpy(p, &len, 4);
  std::memcpy(p + 4, canonical.data(), canonical.size());
  uint64_t w = (static_cast<uint64_t>(blocks_.size() - 1) << 32) | block_used_;
  block_used_ += need;
  return w;
}

void SeriesIndex::Place(SeriesId id, absl::string_view canonical) {
  if (id >= where_.size()) {
    where_.resize(id + 1, kAbsent);
    persisted_.resize(id + 1, true);
  }
  where_[id] = Store(canonical);
  by_key_.insert(id);
  const SeriesKey key = Parse(canonical);
  by_metric_[key.metric].push_back(id);
  if (auto host = key.labels.find("host"); host != key.labels.end()) {
    by_host_[host->second].push_back(id);
  }
}

SeriesId SeriesIndex::Intern(const SeriesKey& key, bool* is_new) {
  std::string canon = Canonical(key);
  MutexLock lock(&mu_);
  auto it = by_key_.find(absl::string_view(canon));
  if (it != by_key_.end()) {
    *is_new = false;
    return *it;
  }
  SeriesId id = static_cast<SeriesId>(where_.size());
  Place(id, canon);
  persisted_[id] = false;
  CountHost(key);
  *is_new = true;
  return id;
}

void SeriesIndex::Load(SeriesId id, const SeriesKey& key) {
  std::string canon = Canonical(key);
  MutexLock lock(&mu_);
  if (id == 0 || (id < where_.size() && where_[id] != kAbsent)) return;  // already known
  auto it = by_key_.find(absl::string_view(canon));
  if (it != by_key_.end()) {
    by_key_.erase(it);  // the same key stored twice: the later id wins
  } else {
    CountHost(key);
  }
  Place(id, canon);
  persisted_[id] = true;
}

bool SeriesIndex::Contains(const SeriesKey& key) const {
  std::string canon = Canonical(key);
  MutexLock lock(&mu_);
  return by_key_.contains(absl::string_view(canon));
}

void SeriesIndex::Retire(SeriesId id) {
  MutexLock lock(&mu_);
  if (id >= where_.size()) {
    where_.resize(id + 1, kAbsent);
    persisted_.resize(id + 1, true);
  }
}

bool SeriesIndex::Get(SeriesId id, SeriesKey* key) const {
  MutexLock lock(&mu_);
  if (id == 0 || id >= where_.size() || where_[id] == kAbsent) return false;
  *key = Parse(CanonicalOf(id));
  return true;
}

std::vector<SeriesInfo> SeriesIndex::Find(absl::string_view metric, const Labels& matchers) const {
  MutexLock lock(&mu_);
  std::vector<SeriesInfo> out;
  auto consider = [&](SeriesId id) {
    mu_.AssertHeld();  // called here, under the lock
    absl::string_view canon = CanonicalOf(id);
    if (Matches(canon, matchers)) out.push_back({id, Parse(canon)});
  };
  // A host's series are few; a metric's are one or more per host: by host
  // first, so a fleet-wide listing (a lookup per host) is not quadratic.
  if (auto host = matchers.find("host"); host != matchers.end()) {
    auto it = by_host_.find(host->second);
    if (it == by_host_.end()) return out;
    for (SeriesId id : it->second) {
      absl::string_view canon = CanonicalOf(id);
      if (metric.empty() || NextField(&canon) == metric) consider(id);
    }
    return out;
  }
  if (!metric.empty()) {
    auto it = by_metric_.find(metric);
    if (it == by_metric_.end()) return out;
    for (SeriesId id : it->second) consider(id);
    return out;
  }
  for (SeriesId id = 1; id < where_.size(); ++id) {
    if (where_[id] != kAbsent) consider(id);
  }
  return out;
}

std::vector<SeriesId> SeriesIndex::AllIds() const {
  MutexLock lock(&mu_);
  std::vector<SeriesId> out;
  for (SeriesId id = 1; id < where_.size(); ++id) {
    if (where_[id] != kAbsent) out.push_back(id);
  }
  return out;
}

void SeriesIndex::CountHost(const SeriesKey& key) {
  auto host = key.labels.find("host");
  if (host != key.labels.end()) ++per_host_[host->second];
}

size_t SeriesIndex::CountOfHost(absl::string_view host) const {
  MutexLock lock(&mu_);
  auto it = per_host_.find(host);
  return it == per_host_.end() ? 0 : it->second;
}

size_t SeriesIndex::size() const {
  MutexLock lock(&mu_);
  return by_key_.size();
}

std::vector<SeriesId> SeriesIndex::Unpersisted(const std::vector<SeriesId>& ids) const {
  MutexLock lock(&mu_);
  std::vector<SeriesId> out;
  for (SeriesId id : ids) {
    if (id < persisted_.size() && !persisted_[id]) out.push_back(id);
  }
  return out;
}

void SeriesIndex::MarkPersisted(const std::vector<SeriesId>& ids) {
  MutexLock lock(&mu_);
  for (SeriesId id : ids) {
    if (id < persisted_.size()) persisted_[id] = true;
  }
}

}  // namespace rollguard::collector
