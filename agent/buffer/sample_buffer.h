// The agent's bounded store of samples not yet acknowledged by the collector.
// Sampling pushes one batch per interval; the uplink takes unsent batches,
// sends them, and removes each when the collector acknowledges it (i.e. has
// stored it durably). On reconnect every unacknowledged batch is sent again.
//
// Without a spool, at most max_samples are held, in memory. With a spool
// (AttachSpool) every batch is also on disk before it is sent: at most
// max_samples stay in memory (the newest), older ones are read back from
// disk when their turn comes, and the spool's byte bound replaces the sample
// bound. Either way, when full, the oldest samples are dropped and counted:
// a long outage loses the oldest data, never the newest, and never silently.
//
// Several consumers (one uplink per collector of an HA pair) each take every
// batch: each has its own cursor and in-flight count, and a batch leaves
// once every consumer acknowledged it. A collector that stays away holds
// batches until the bound drops them (counted as for one collector).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "agent/buffer/sample_batch.h"
#include "agent/buffer/spool.h"
#include "common/mutex.h"

namespace rollguard::agent {

struct SpoolStats {
  bool enabled = false;
  uint64_t bytes = 0;
  size_t segments = 0;
  uint64_t write_errors = 0;
  uint64_t read_errors = 0;
  size_t resident_samples = 0;  // of buffered_samples(), those in memory
};

// Thread-safe.
class SampleBuffer {
 public:
  // `consumers`: how many readers each batch must reach (1 to 32).
  explicit SampleBuffer(size_t max_samples, int consumers = 1);

  // Takes over `spool`'s recovered batches (sent first, oldest first) and
  // writes every later batch to it. Call before the first Push.
  void AttachSpool(std::unique_ptr<Spool> spool);

  // Adds a batch with the next sequence number (returned). Empty batches are
  // ignored (returns 0).
  uint64_t Push(std::vector<BufferedSample> samples);

  // Waits up to `wait` for unsent batches; returns copies of up to
  // `max_batches` of them, oldest first, and marks them sent. At most
  // `max_in_flight` batches are ever sent-but-unacknowledged. A spooled
  // batch that cannot be read back is dropped, counted and logged.
  std::vector<Batch> TakeUnsent(size_t max_batches, size_t max_in_flight, absl::Duration wait,
                                int consumer = 0);

  // `consumer` is done with a batch (acknowledged or rejected); it leaves
  // once every consumer is. Unknown sequences (already dropped for space)
  // are ignored.
  void Remove(uint64_t sequence, int consumer = 0);

  // After `consumer` reconnected: everything it has not had acknowledged
  // must be sent to it again.
  void MarkAllUnsent(int consumer = 0);

  // Wakes any TakeUnsent waiter (used on shutdown).
  void Wake();

  size_t buffered_samples() const;
  uint64_t dropped_samples() const;
  size_t batches() const;
  SpoolStats spool_stats() const;

 private:
  // Invariants: for each consumer c, the entries before cursor_[c] were
  // all sent to c or acknowledged by c (in_flight_[c] are sent and not yet
  // acknowledged; later entries may be acknowledged too, after a
  // reconnect, and are skipped); the entries whose samples are only on disk
  // are a prefix (stubs_): taken or evicted oldest first, and any removal
  // keeps a prefix a prefix.
  struct Entry {
    uint64_t sequence = 0;
    uint32_t count = 0;
    uint32_t sent = 0;                    // bit c: sent to consumer c, not yet acknowledged
    uint32_t acked = 0;                   // bit c: consumer c is done with it
    std::vector<BufferedSample> samples;  // empty once only on disk
    SpoolRef ref;                         // segment 0: not on disk
  };
  using Iterator = std::deque<Entry>::iterator;
  void EnforceBoundsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked(Iterator it, bool dropped) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves c's cursor past what c acknowledged; true when an entry is there.
  bool NextUnsentLocked(int c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The samples of `e`, from memory or the spool.
  absl::StatusOr<Batch> LoadLocked(const Entry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_samples_;
  const int consumers_;
  const uint32_t all_acked_;
  mutable Mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<Spool> spool_ ABSL_GUARDED_BY(mu_);
  std::deque<Entry> entries_ ABSL_GUARDED_BY(mu_);
  size_t samples_ ABSL_GUARDED_BY(mu_) = 0;
  size_t resident_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<size_t> in_flight_ ABSL_GUARDED_BY(mu_);
  std::vector<size_t> cursor_ ABSL_GUARDED_BY(mu_);
  size_t stubs_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t read_errors_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<bool> woken_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rollguard::agent
