// The agent's disk spool: every batch the buffer holds is also written here
// (and fdatasync'ed) before it is sent, so batches the collector has not yet
// acknowledged survive a restart of the agent, a reboot or the OOM killer.
//
// Layout: <dir>/seg-<16 digits>.spool files (spool_frames.h), written in
// order, plus <dir>/lock (one agent per spool). A record is a batch or the
// sequence number of a batch that needs no sending any more (acknowledged
// or dropped). Files are deleted oldest first, once no batch in them is
// live. A new process never appends to an old file: it reads them all,
// keeps the unreleased batches where they are, and writes a new segment.
// A file it cannot read is left in place, never deleted.
//
// The series ids inside a segment are the ids of the process that wrote
// it, defined by the segment's own batch records; a later process maps them
// to its own registry's ids when it reads a batch back.
//
// Not thread-safe: SampleBuffer calls it under its own lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "agent/buffer/sample_batch.h"
#include "agent/buffer/series_registry.h"
#include "common/file_lock.h"

namespace rollguard::agent {

// Files are at most max_bytes / 8, between 64 KiB and this.
inline constexpr uint64_t kMaxSegmentBytes = 8ull << 20;

struct SpoolOptions {
  std::string dir;
  // Total size of the segment files. Past it the oldest segment's batches
  // are dropped (and counted by the buffer).
  uint64_t max_bytes = 64ull << 20;
};

// Where a batch sits on disk; segment 0: nowhere (its write failed).
struct SpoolRef {
  uint64_t segment = 0;
  uint64_t offset = 0;
};

// A batch found on disk at start-up that was never released.
struct SpooledBatch {
  uint64_t sequence = 0;
  uint32_t samples = 0;
  SpoolRef ref;
};

struct SpoolRecovery {
  std::vector<SpooledBatch> batches;  // oldest first
  uint64_t samples = 0;
  size_t segments_read = 0;
  // One line per damaged file or record (a torn last write, a bad CRC):
  // what was before it in that file was kept, the damage skipped.
  std::vector<std::string> damage;
  uint64_t next_sequence = 1;  // above every sequence ever written here
};

// What Spool::Open will refuse, checked without creating or changing
// anything (--check-config): OK when `dir` is absent (Open makes it), else it
// must be a real folder (not a link) owned by this user.
[[nodiscard]] absl::Status CheckSpoolFolder(const std::string& dir);

class Spool {
 public:
  // Creates the folder (0700) if needed, takes its lock, reads what an
  // earlier process left and starts a new segment. Errors name the folder:
  // another agent holding it, or a folder that cannot be written. Damaged
  // records are never an error (see SpoolRecovery::damage).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Spool>> Open(SpoolOptions options,
                                                                   SeriesRegistry* registry);
  ~Spool();

  const SpoolRecovery& recovery() const { return recovery_; }

  // Writes `batch` durably (one write, then fdatasync); where it went.
  [[nodiscard]] absl::StatusOr<SpoolRef> Append(uint64_t sequence,
                                                const std::vector<BufferedSample>& samples);
  // The batch written at `ref`, its series ids in this process' registry.
  [[nodiscard]] absl::StatusOr<Batch> Read(uint64_t sequence, SpoolRef ref);
  // The batch at `ref` needs no sending any more. Call once per appended or
  // recovered batch. A segment with nothing left in it is deleted.
  void Release(uint64_t sequence, SpoolRef ref);

  // More than max_bytes on disk, with an older segment than the one being
  // written: the caller drops the batches of oldest_segment().
  bool OverBudget() const;
  uint64_t oldest_segment() const;

  uint64_t bytes() const { return bytes_; }
  size_t segments() const { return segments_.size(); }
  uint64_t write_errors() const { return write_errors_; }
  const std::string& dir() const { return options_.dir; }

 private:
  struct Segment {
    std::string path;
    uint64_t bytes = 0;
    uint64_t live = 0;  // batches not yet released
    // Ids in the file -> this process' ids (segments of earlier processes).
    absl::flat_hash_map<uint32_t, uint32_t> remap;
    bool ours = false;
  };

  Spool(SpoolOptions options, SeriesRegistry* registry, FileLock lock);
  absl::Status Recover();
  void RecoverSegment(uint64_t number, const std::string& file, Segment* segment,
                      absl::flat_hash_set<uint64_t>* released,
                      std::map<uint64_t, SpooledBatch>* batches);
  absl::Status StartSegment();
  absl::Status WriteRecord(const std::string& payload, bool sync, uint64_t* offset);
  absl::StatusOr<int> ReadFd(uint64_t number, const Segment& segment);
  // Deletes the oldest files while nothing in them is live.
  void DeleteReleased();

  const SpoolOptions options_;
  const uint64_t segment_bytes_;
  SeriesRegistry* const registry_;
  FileLock lock_;
  std::map<uint64_t, Segment> segments_;
  uint64_t current_ = 0;   // the segment being written
  int write_fd_ = -1;      // current_'s
  bool writable_ = false;  // false after a torn write that could not be cut off
  int read_fd_ = -1;       // the one file open for reading back batches
  uint64_t read_segment_ = 0;
  absl::flat_hash_set<uint32_t> defined_in_current_;
  uint64_t bytes_ = 0;
  uint64_t write_errors_ = 0;
  SpoolRecovery recovery_;
};

}  // namespace rollguard::agent
