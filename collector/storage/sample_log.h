// The sample log: each acknowledged batch as one record, keyed by its arrival
// sequence, written in the batch's one RocksDB write. It is what makes a batch
// durable before its samples are sealed into chunks; a record is deleted once
// every sample in it is in a chunk, and replayed into the heads on restart.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "collector/storage/storage.h"
#include "common/mutex.h"

namespace rollguard::collector {

// count, then per sample: series (varint), time delta from the previous
// sample (zigzag varint), the value's 8 bytes.
std::string EncodeLogRecord(absl::Span<const StoredSample> samples);
[[nodiscard]] absl::StatusOr<std::vector<StoredSample>> DecodeLogRecord(absl::string_view bytes);

// The log records' sequence numbers, and which are being written: the log may
// be truncated only below the oldest record whose samples are not yet in the
// heads. Thread-safe.
class LogSequence {
 public:
  // After replaying the log: the next record gets `next`.
  void StartAt(uint64_t next);
  // A new record's sequence number, in flight until End.
  uint64_t Begin();
  // Written (its samples now in the heads) or failed.
  void End(uint64_t seq);
  // Every record below this is in the heads (or was never written).
  uint64_t Floor() const;

 private:
  mutable Mutex mu_;
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<uint64_t> inflight_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rollguard::collector
