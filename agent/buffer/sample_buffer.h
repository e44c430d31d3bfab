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
  explicit SampleBuffer(size_t max_samples);

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
  SpoolStats spool_stats() const;

 private:
  // Invariants: the sent entries are a prefix of entries_ (in_flight_ of
  // them), and so are the entries whose samples are only on disk (stubs_):
  // both are taken or evicted oldest first, and any removal keeps a prefix
  // a prefix.
  struct Entry {
    uint64_t sequence = 0;
    uint32_t count = 0;
    bool sent = false;
    std::vector<BufferedSample> samples;  // empty once only on disk
    SpoolRef ref;                         // segment 0: not on disk
  };
  using Iterator = std::deque<Entry>::iterator;
  void EnforceBoundsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked(Iterator it, bool dropped) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The samples of `e`, from memory or the spool.
  absl::StatusOr<Batch> LoadLocked(const Entry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_samples_;
  mutable Mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<Spool> spool_ ABSL_GUARDED_BY(mu_);
  std::deque<Entry> entries_ ABSL_GUARDED_BY(mu_);
  size_t samples_ ABSL_GUARDED_BY(mu_) = 0;
  size_t resident_ ABSL_GUARDED_BY(mu_) = 0;
  size_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  size_t stubs_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t read_errors_ ABSL_GUARDED_BY(mu_) = 0;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace rollguard::agent
