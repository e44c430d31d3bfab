#include "collector/storage/sealer.h"

#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "collector/storage/chunk_codec.h"
#include "collector/storage/chunk_writer.h"
#include "collector/storage/key_codec.h"
#include "collector/storage/rocksdb_status.h"
#include "collector/storage/stored_chunk.h"

namespace rollguard::collector {
namespace {

constexpr int64_t kReportEveryMs = 60'000;
// Points one sealing round copies, encodes and writes at most: ~16 MB of
// copies and a few MB of batch, and the sealer checks for a stop between rounds.
constexpr size_t kSealRoundPoints = 1'000'000;

}  // namespace

Sealer::Sealer(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* chunks,
               rocksdb::ColumnFamilyHandle* log, rocksdb::WriteOptions write_options,
               SeriesHeads* heads, const LogSequence* log_seq, LogReaders* readers,
               const Clock* clock, SealerOptions options)
    : db_(db),
      chunks_cf_(chunks),
      log_cf_(log),
      write_options_(write_options),
      heads_(heads),
      log_seq_(log_seq),
      readers_(readers),
      clock_(clock),
      options_(options),
      chunk_uniq_(std::random_device{}()) {}

Sealer::~Sealer() { Stop(); }

void Sealer::Start(uint64_t log_first) {
  truncated_below_ = log_first;
  sealed_below_ = readers_->sealed_below();
  thread_ = std::thread([this] { Loop(); });
}

void Sealer::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  room_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Sealer::SealEverything() {
  while (SealOnce(/*everything=*/true)) {
  }
  TruncateLog();
}

void Sealer::WaitForRoom() {
  if (heads_->points() <= options_.max_head_points) return;
  // The ingest worker waits, its stream's in-flight window fills, and gRPC
  // stops reading: the agents buffer instead of the collector growing.
  wake_.notify_all();
  MutexLock lock(&mu_);
  room_.wait_for(lock.native(), std::chrono::seconds(10), [&] {
    mu_.AssertHeld();
    return stopping_ || heads_->points() <= options_.max_head_points;
  });
}

void Sealer::Loop() {
  int64_t next_report = clock_->NowMs() + kReportEveryMs;
  MutexLock lock(&mu_);
  while (!stopping_) {
    wake_.wait_for(lock.native(), std::chrono::milliseconds(options_.seal_interval_ms));
    if (stopping_) break;
    lock.Unlock();
    // Rounds are bounded; a full one means more may be due right away.
    for (bool more = true; more && !Stopping();) {
      const uint64_t sealed_before = points_sealed_.load();
      more = SealOnce(/*everything=*/false);
      // Only a seal lets the heads give up log entries (MinSeq visits every
      // head: not 5 times a second for nothing).
      if (points_sealed_.load() != sealed_before) TruncateLog();
      room_.notify_all();
    }
    if (clock_->NowMs() >= next_report) {
      next_report = clock_->NowMs() + kReportEveryMs;
      spdlog::info("storage: heads hold {} points of {} series ({:.1f} MB; limit {} points)",
                   heads_->points(), heads_->series(),
                   static_cast<double>(heads_->point_bytes()) / (1 << 20),
                   options_.max_head_points);
    }
    lock.Lock();
  }
}

bool Sealer::Stopping() {
  MutexLock lock(&mu_);
  return stopping_;
}

bool Sealer::SealOnce(bool everything) {
  SealPolicy policy;
  policy.full_points = options_.head_full_points;
  if (everything) {
    policy.min_points = 1;
  } else if (heads_->points() > options_.max_head_points / 2) {
    policy.min_points = 8;  // memory pressure: smaller chunks rather than more memory
  }
  policy.max_points = kSealRoundPoints;
  std::vector<SealJob> jobs = heads_->Collect(policy, clock_->NowMs());
  if (jobs.empty()) return false;
  size_t copied = 0;
  for (const SealJob& job : jobs) copied += job.count;
  rocksdb::WriteBatch batch;
  ChunkLimits limits;
  limits.max_span_ms = kMaxChunkSpanMs;
  limits.max_points = kMaxChunkPoints;
  // Not when closing: a stop should be quick; later seals merge.
  limits.merge = options_.merge_chunks && !everything;
  ChunkWriter writer(db_, chunks_cf_, limits, &chunk_uniq_, &chunks_since_merge_);
  for (const SealJob& job : jobs) {
    std::vector<Point> points = job.points;
    NormalizePoints(&points);
    if (absl::Status s = writer.Add(job.series, std::move(points), &batch); !s.ok()) {
      spdlog::error("storage: sealing: {} (the points stay in the heads and the log)",
                    s.ToString());
      heads_->Abort(jobs);
      return false;
    }
  }
  absl::Status s = FromRocks(db_->Write(write_options_, &batch), "sealing chunks");
  if (!s.ok()) {
    spdlog::error("storage: {} (the points stay in the heads and the log)", s.ToString());
    heads_->Abort(jobs);
    return false;
  }
  heads_->Release(jobs);
  chunks_written_ += writer.written_chunks();
  chunks_merged_ += writer.merged_chunks();
  points_sealed_ += copied;
  return copied >= kSealRoundPoints;
}

void Sealer::TruncateLog() {
  const uint64_t sealed = std::min(log_seq_->Floor(), heads_->MinSeq());
  const uint64_t below = std::min(sealed, readers_->Min());
  if (sealed <= sealed_below_ && below <= truncated_below_) return;
  rocksdb::WriteBatch batch;
  if (below > truncated_below_) {
    (void)batch.DeleteRange(log_cf_, EncodeBigEndian64(truncated_below_), EncodeBigEndian64(below));
  }
  // Records kept for a reader are not replayed into the heads on the next
  // open: their samples are in chunks already.
  if (sealed > sealed_below_) readers_->NoteSealed(sealed, &batch);
  absl::Status s = FromRocks(db_->Write(write_options_, &batch), "truncating the sample log");
  if (!s.ok()) {
    spdlog::error("storage: {}", s.ToString());
    return;
  }
  truncated_below_ = std::max(truncated_below_, below);
  sealed_below_ = std::max(sealed_below_, sealed);
}

}  // namespace rollguard::collector
