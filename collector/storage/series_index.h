// In-memory index of series: key <-> id, and metric -> ids for lookups.
// Rebuilt from the "series" column family at start-up.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "collector/storage/storage.h"

namespace rollguard::collector {

// Thread-safe.
class SeriesIndex {
 public:
  // Returns the id of `key`, assigning the next free one if new (*is_new=true).
  SeriesId Intern(const SeriesKey& key, bool* is_new);
  // Registers an existing series as loaded from disk (already persisted).
  void Load(SeriesId id, SeriesKey key);

  bool Get(SeriesId id, SeriesKey* key) const;
  std::vector<SeriesInfo> Find(absl::string_view metric, const Labels& matchers) const;
  std::vector<SeriesId> AllIds() const;

  // Which of `ids` are not yet persisted; MarkPersisted after a successful write.
  std::vector<SeriesId> Unpersisted(const std::vector<SeriesId>& ids) const;
  void MarkPersisted(const std::vector<SeriesId>& ids);

 private:
  static std::string Canonical(const SeriesKey& key);

  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, SeriesId> by_key_ ABSL_GUARDED_BY(mu_);
  // Indexed by id; id 0 unused.
  std::vector<SeriesKey> keys_ ABSL_GUARDED_BY(mu_) = std::vector<SeriesKey>(1);
  std::vector<bool> persisted_ ABSL_GUARDED_BY(mu_) = std::vector<bool>(1, true);
  absl::flat_hash_map<std::string, std::vector<SeriesId>> by_metric_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rollguard::collector
