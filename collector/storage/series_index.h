// In-memory index of series: key <-> id, and metric -> ids for lookups.
// Rebuilt from the "series" column family at start-up.
//
// Compact, because a collector holds a million series: each key is kept once,
// as its canonical bytes (metric, then NUL-separated label names and values)
// in an arena of 1 MiB blocks, and the key -> id map holds only ids, hashed by
// those bytes (~50 bytes a series rather than ~400 with strings and maps).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "collector/storage/storage.h"
#include "common/mutex.h"

namespace rollguard::collector {

// Thread-safe.
class SeriesIndex {
 public:
  SeriesIndex();
  SeriesIndex(const SeriesIndex&) = delete;
  SeriesIndex& operator=(const SeriesIndex&) = delete;

  // Returns the id of `key`, assigning the next free one if new (*is_new=true).
  SeriesId Intern(const SeriesKey& key, bool* is_new);
  // Registers an existing series as loaded from disk (already persisted).
  void Load(SeriesId id, const SeriesKey& key);
  // An id whose definition was found damaged: never handed out again (its
  // chunks may still be on disk and must not join a new series).
  void Retire(SeriesId id);

  bool Get(SeriesId id, SeriesKey* key) const;
  bool Contains(const SeriesKey& key) const;
  std::vector<SeriesInfo> Find(absl::string_view metric, const Labels& matchers) const;
  std::vector<SeriesId> AllIds() const;
  size_t size() const;
  // Series whose "host" label is `host`.
  size_t CountOfHost(absl::string_view host) const;

  // Which of `ids` are not yet persisted; MarkPersisted after a successful write.
  std::vector<SeriesId> Unpersisted(const std::vector<SeriesId>& ids) const;
  void MarkPersisted(const std::vector<SeriesId>& ids);

 private:
  static constexpr uint64_t kAbsent = ~uint64_t{0};

  // Hash and equality of ids by their canonical bytes; also take the bytes
  // themselves, so a lookup needs no id.
  struct KeyHash {
    using is_transparent = void;
    const SeriesIndex* index;
    size_t operator()(SeriesId id) const;
    size_t operator()(absl::string_view canonical) const;
  };
  struct KeyEq {
    using is_transparent = void;
    const SeriesIndex* index;
    bool operator()(SeriesId a, SeriesId b) const { return a == b; }
    bool operator()(SeriesId a, absl::string_view b) const;
    bool operator()(absl::string_view a, SeriesId b) const { return (*this)(b, a); }
  };

  static std::string Canonical(const SeriesKey& key);
  void CountHost(const SeriesKey& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static SeriesKey Parse(absl::string_view canonical);
  // True if every matcher is a label of `canonical` with that value.
  static bool Matches(absl::string_view canonical, const Labels& matchers);

  // The bytes of a known id.
  absl::string_view CanonicalOf(SeriesId id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Copies `canonical` into the arena; returns where (block << 32 | offset).
  uint64_t Store(absl::string_view canonical) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Place(SeriesId id, absl::string_view canonical) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable Mutex mu_;
  // Each entry: a 4-byte length, then the canonical bytes.
  std::vector<std::unique_ptr<char[]>> blocks_ ABSL_GUARDED_BY(mu_);
  size_t block_used_ ABSL_GUARDED_BY(mu_) = 0;
  size_t block_size_ ABSL_GUARDED_BY(mu_) = 0;
  // Indexed by id: where its key is, or kAbsent. Id 0 is never used.
  std::vector<uint64_t> where_ ABSL_GUARDED_BY(mu_) = std::vector<uint64_t>(1, kAbsent);
  std::vector<bool> persisted_ ABSL_GUARDED_BY(mu_) = std::vector<bool>(1, true);
  absl::flat_hash_set<SeriesId, KeyHash, KeyEq> by_key_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::vector<SeriesId>> by_metric_ ABSL_GUARDED_BY(mu_);
  // By "host" label value: what a lookup naming a host walks.
  absl::flat_hash_map<std::string, std::vector<SeriesId>> by_host_ ABSL_GUARDED_BY(mu_);
  // Distinct series per "host" label value (one entry a host: small).
  absl::flat_hash_map<std::string, uint32_t> per_host_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rollguard::collector
