// The in-memory heads: each series' newest points, not yet sealed into a
// chunk. Their samples are durable in the sample log already; a head only
// makes them queryable and collects them until they are sealed.
//
// Sealing is copy, write, then release: the points stay visible to queries
// while their chunk is written, and points appended meanwhile stay behind.
// Each head remembers the lowest log sequence its points came from, so the
// log can be truncated below the lowest of all heads.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "collector/storage/head_points.h"
#include "collector/storage/storage.h"
#include "common/mutex.h"

namespace rollguard::collector {

struct SealJob {
  SeriesId series = 0;
  std::vector<Point> points;  // a copy, in append order
  size_t count = 0;           // how many head points this job covers
};

struct SealPolicy {
  size_t full_points = 120;          // a head this long is sealed
  int64_t max_age_ms = 10 * 60'000;  // a head whose first point came this long ago too
  // Under memory pressure: anything this long (off otherwise).
  size_t min_points = std::numeric_limits<size_t>::max();
  // Stop collecting once this many points are copied: bounds a round's
  // memory and time (the caller comes back for the rest).
  size_t max_points = std::numeric_limits<size_t>::max();
};

// Thread-safe.
class SeriesHeads {
 public:
  static constexpr uint64_t kNoSeq = ~0ull;

  void Add(absl::Span<const StoredSample> samples, uint64_t seq, int64_t now_ms);

  // Heads the policy says to seal now, up to policy.max_points of them; each
  // call starts at the shard after the one the last call started at, so no
  // head waits behind others that keep refilling.
  std::vector<SealJob> Collect(const SealPolicy& policy, int64_t now_ms);
  // Their chunks are durable: drop the sealed points.
  void Release(const std::vector<SealJob>& jobs);
  // Their chunks could not be written: the points stay, to be sealed later.
  void Abort(const std::vector<SealJob>& jobs);

  // Points with start <= t < end, appended to `out` (unsorted).
  void Range(SeriesId id, int64_t start_ms, int64_t end_ms, std::vector<Point>* out) const;
  std::optional<Point> Latest(SeriesId id) const;

  // The lowest log sequence any head still needs (kNoSeq: none).
  uint64_t MinSeq() const;
  size_t points() const { return points_.load(); }
  // Memory held by the heads' encoded points.
  size_t point_bytes() const { return point_bytes_.load(); }
  size_t series() const;

 private:
  struct Head {
    HeadPoints points;  // compressed: a head holds up to max_age of points
    uint64_t min_seq = kNoSeq;
    // Lowest sequence appended since the last Collect copied this head.
    uint64_t min_seq_since_copy = kNoSeq;
    int64_t first_ms = 0;
    size_t sealing = 0;  // points copied by a Collect not yet released
  };
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable Mutex mu;
    absl::flat_hash_map<SeriesId, Head> heads ABSL_GUARDED_BY(mu);
    // So a Collect can pass over a shard where nothing can be due without
    // visiting its heads (the sealer looks 5 times a second; 10,000 hosts
    // have 200,000 heads). Bounds, not exact: the oldest first_ms is at
    // most this old, the longest head at most this long; a visit makes them
    // exact again.
    int64_t oldest_first_ms ABSL_GUARDED_BY(mu) = std::numeric_limits<int64_t>::max();
    size_t longest ABSL_GUARDED_BY(mu) = 0;
  };
  Shard& ShardOf(SeriesId id) { return shards_[id % kShards]; }
  const Shard& ShardOf(SeriesId id) const { return shards_[id % kShards]; }

  Shard shards_[kShards];
  std::atomic<size_t> points_{0};
  std::atomic<size_t> point_bytes_{0};
  std::atomic<size_t> next_shard_{0};
};

}  // namespace rollguard::collector
