#include "collector/storage/series_heads.h"

#include <algorithm>

#include "common/mutex.h"

namespace rollguard::collector {

void SeriesHeads::Add(absl::Span<const StoredSample> samples, uint64_t seq, int64_t now_ms) {
  // Counted before the points exist, never after: a head sealed and released
  // in the middle of this batch must not take the counters below zero.
  points_ += samples.size();
  for (const StoredSample& s : samples) {
    Shard& shard = ShardOf(s.series);
    MutexLock lock(&shard.mu);
    Head& h = shard.heads[s.series];
    if (h.points.empty()) {
      h.first_ms = now_ms;
      shard.oldest_first_ms = std::min(shard.oldest_first_ms, now_ms);
    }
    const size_t before = h.points.bytes();
    h.points.Append({s.timestamp_ms, s.value});
    if (h.points.bytes() != before) point_bytes_ += h.points.bytes() - before;  // grew
    shard.longest = std::max(shard.longest, h.points.size());
    h.min_seq = std::min(h.min_seq, seq);
    h.min_seq_since_copy = std::min(h.min_seq_since_copy, seq);
  }
}

std::vector<SealJob> SeriesHeads::Collect(const SealPolicy& policy, int64_t now_ms) {
  std::vector<SealJob> jobs;
  size_t copied = 0;
  const size_t first = next_shard_.fetch_add(1) % kShards;
  for (size_t k = 0; k < kShards && copied < policy.max_points; ++k) {
    Shard& shard = shards_[(first + k) % kShards];
    MutexLock lock(&shard.mu);
    const size_t due_length = std::min(policy.full_points, policy.min_points);
    if (shard.longest < due_length && now_ms - shard.oldest_first_ms < policy.max_age_ms) {
      continue;  // nothing here can be due
    }
    // Exact again after this visit (unless the round stops inside it).
    int64_t oldest = std::numeric_limits<int64_t>::max();
    size_t longest = 0;
    bool visited_all = true;
    for (auto& [id, h] : shard.heads) {
      if (copied >= policy.max_points) {
        visited_all = false;
        break;
      }
      // Heads being sealed keep their first_ms and length for the bounds:
      // what they keep after the release is no older and no longer.
      oldest = std::min(oldest, h.first_ms);
      longest = std::max(longest, h.points.size());
      if (h.sealing > 0 || h.points.empty()) continue;
      bool due = h.points.size() >= policy.full_points ||
                 now_ms - h.first_ms >= policy.max_age_ms || h.points.size() >= policy.min_points;
      if (!due) continue;
      SealJob job;
      job.series = id;
      job.points = h.points.Decode();
      job.count = h.points.size();
      h.sealing = job.count;
      h.min_seq_since_copy = kNoSeq;
      copied += job.count;
      jobs.push_back(std::move(job));
    }
    if (visited_all) {
      shard.oldest_first_ms = oldest;
      shard.longest = longest;
    }
  }
  return jobs;
}

void SeriesHeads::Release(const std::vector<SealJob>& jobs) {
  size_t released = 0;
  size_t freed = 0;
  for (const SealJob& job : jobs) {
    Shard& shard = ShardOf(job.series);
    MutexLock lock(&shard.mu);
    auto it = shard.heads.find(job.series);
    if (it == shard.heads.end()) continue;
    Head& h = it->second;
    // Appends only ever add at the end, so the sealed points are the prefix.
    const size_t before = h.points.bytes();
    h.points.DropFront(job.count);
    freed += before - h.points.bytes();
    released += job.count;
    h.sealing = 0;
    h.min_seq = h.points.empty() ? kNoSeq : h.min_seq_since_copy;
    // A quiet series costs nothing. (Points left behind keep the old age,
    // so they are sealed soon.)
    if (h.points.empty()) shard.heads.erase(it);
  }
  points_ -= released;
  point_bytes_ -= freed;
}

void SeriesHeads::Abort(const std::vector<SealJob>& jobs) {
  for (const SealJob& job : jobs) {
    Shard& shard = ShardOf(job.series);
    MutexLock lock(&shard.mu);
    auto it = shard.heads.find(job.series);
    if (it == shard.heads.end()) continue;
    it->second.sealing = 0;
    it->second.min_seq_since_copy = it->second.min_seq;
  }
}

void SeriesHeads::Range(SeriesId id, int64_t start_ms, int64_t end_ms,
                        std::vector<Point>* out) const {
  const Shard& shard = ShardOf(id);
  MutexLock lock(&shard.mu);
  auto it = shard.heads.find(id);
  if (it == shard.heads.end()) return;
  for (const Point& p : it->second.points.Decode()) {
    if (p.timestamp_ms >= start_ms && p.timestamp_ms < end_ms) out->push_back(p);
  }
}

std::optional<Point> SeriesHeads::Latest(SeriesId id) const {
  const Shard& shard = ShardOf(id);
  MutexLock lock(&shard.mu);
  auto it = shard.heads.find(id);
  if (it == shard.heads.end() || it->second.points.empty()) return std::nullopt;
  // The newest time; of equal times the last written.
  const std::vector<Point> points = it->second.points.Decode();
  const Point* best = nullptr;
  for (const Point& p : points) {
    if (best == nullptr || p.timestamp_ms >= best->timestamp_ms) best = &p;
  }
  return *best;
}

uint64_t SeriesHeads::MinSeq() const {
  uint64_t min = kNoSeq;
  for (const Shard& shard : shards_) {
    MutexLock lock(&shard.mu);
    for (const auto& [id, h] : shard.heads) min = std::min(min, h.min_seq);
  }
  return min;
}

size_t SeriesHeads::series() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    MutexLock lock(&shard.mu);
    n += shard.heads.size();
  }
  return n;
}

}  // namespace rollguard::collector
