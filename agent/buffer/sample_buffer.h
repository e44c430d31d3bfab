// The agent's bounded store of samples not yet acknowledged by the collector.
// Sampling pushes one batch per interval; the uplink takes unsent batches,
// sends them, and removes each when the collector acknowledges it (i.e. has
// stored it durably). On reconnect every unacknowledged batch is sent again.
// When full, the oldest samples are dropped and counted: a long outage loses
// the oldest data, never the newest, and never silently.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "common/mutex.h"

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

// Thread-safe.
class SampleBuffer {
 public:
  explicit SampleBuffer(size_t max_samples);

  // Adds a batch with the next sequence number (returned). Empty batches are
  // ignored (returns 0).
  uint64_t Push(std::vector<BufferedSample> samples);

  // Waits up to `wait` for unsent batches; returns copies of up to
  // `max_batches` of them, oldest first, and marks them sent. At most
  // `max_in_flight` batches are ever sent-but-unacknowledged.
  std::vector<Batch> TakeUnsent(size_t max_batches, size_t max_in_flight, absl::Duration wait);

  // Removes an acknowledged (or rejected) batch. Unknown sequences (already
  // dropped for space) are ignored.
  void Remove(uint64_t sequence);

  // After a reconnect: everything still held must be sent again.
  void MarkAllUnsent();

  // Wakes any TakeUnsent waiter (used on shutdown).
  void Wake();

  size_t buffered_samples() const;
  uint64_t dropped_samples() const;
  size_t batches() const;

 private:
  struct Entry {
    Batch batch;
    bool sent = false;
  };
  void DropOldestLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_samples_;
  mutable Mutex mu_;
  std::condition_variable cv_;
  std::deque<Entry> entries_ ABSL_GUARDED_BY(mu_);
  size_t samples_ ABSL_GUARDED_BY(mu_) = 0;
  size_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace rollguard::agent
