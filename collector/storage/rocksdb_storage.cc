#include "collector/storage/rocksdb_storage.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "collector/storage/chunk_codec.h"
#include "collector/storage/chunk_writer.h"
#include "collector/storage/key_codec.h"
#include "collector/storage/rocksdb_layout.h"
#include "collector/storage/sample_log.h"
#include "collector/storage/series_heads.h"
#include "collector/storage/series_index.h"
#include "collector/storage/stored_chunk.h"
#include "common/mutex.h"
#include "rollguard/v1/metrics.pb.h"

namespace rollguard::collector {
namespace {

absl::string_view ToView(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }
// No chunk spans more than this, so a range scan can start this far before
// the range and find every chunk overlapping it.
constexpr int64_t kMaxChunkSpanMs = 2 * 3600 * 1000;
constexpr size_t kMaxChunkPoints = 4096;
constexpr int64_t kReportEveryMs = 60'000;
// Points one sealing round copies, encodes and writes at most: ~16 MB of
// copies and a few MB of batch, and the sealer checks for a stop between rounds.
constexpr size_t kSealRoundPoints = 1'000'000;

int64_t WallMs() { return absl::ToUnixMillis(absl::Now()); }

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(what, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  return absl::UnavailableError(msg);
}

class RocksDbStorage final : public Storage, public RecordStore {
 public:
  RocksDbStorage(std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> cfs,
                 const RocksDbOptions& options)
      : db_(std::move(db)), options_(options) {
    for (auto* cf : cfs) {
      if (cf->GetName() == kSeriesCf) series_cf_ = cf;
      if (cf->GetName() == kSamplesCf) samples_cf_ = cf;
      if (cf->GetName() == kLogCf) log_cf_ = cf;
      if (cf->GetName() == kChunksCf) chunks_cf_ = cf;
      if (cf->GetName() == kHostsCf) hosts_cf_ = cf;
      for (int t = 0; t < kTableCount; ++t) {
        if (cf->GetName() == kTableNames[t]) tables_[t] = cf;
      }
      handles_.push_back(cf);
    }
    write_options_.sync = options_.sync_writes;
  }

  ~RocksDbStorage() override {
    {
      MutexLock lock(&seal_mu_);
      stopping_ = true;
    }
    seal_cv_.notify_all();
    pressure_cv_.notify_all();
    if (sealer_.joinable()) sealer_.join();
    // Seal what is left, so the next start has little log to replay.
    if (options_.seal_on_close) {
      while (SealOnce(/*everything=*/true)) {
      }
      TruncateLog();
      // Chunks to SST files and the emptied log compacted away, so the next
      // open neither replays a large WAL nor carries the log's tombstones.
      rocksdb::FlushOptions fo;
      (void)db_->Flush(fo, handles_);
      (void)db_->CompactRange(rocksdb::CompactRangeOptions(), log_cf_, nullptr, nullptr);
    }
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
  }

  // Rebuilds the heads from the log records still present, then starts sealing.
  absl::Status RecoverHeads() {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), log_cf_));
    size_t records = 0, samples = 0;
    uint64_t first = 0, last = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key().size() != 8) return absl::DataLossError("sample log: bad key");
      uint64_t seq = 0;
      for (int i = 0; i < 8; ++i) seq = (seq << 8) | static_cast<uint8_t>(it->key()[i]);
      auto batch = DecodeLogRecord(ToView(it->value()));
      if (!batch.ok()) return batch.status();
      if (records == 0) first = seq;
      last = seq;
      ++records;
      samples += batch->size();
      heads_.Add(*batch, seq, WallMs());
    }
    if (absl::Status s = FromRocks(it->status(), "replaying the sample log"); !s.ok()) return s;
    next_seq_ = records > 0 ? last + 1 : 0;
    // Chunk keys of one series and start time stay distinct across restarts.
    chunk_uniq_ = std::random_device{}();
    truncated_below_ = first;
    if (records > 0) {
      spdlog::info("storage: replayed {} samples from {} log records into the heads", samples,
                   records);
    }
    sealer_ = std::thread([this] { SealLoop(); });
    return absl::OkStatus();
  }

  absl::Status LoadSeries() {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), series_cf_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      uint32_t id = 0;
      rollguard::v1::SeriesDefinition def;
      if (!DecodeSeriesIdKey(ToView(it->key()), &id) ||
          !def.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return absl::DataLossError(absl::StrCat(
            "series column family: undecodable record at key of ", it->key().size(), " bytes"));
      }
      SeriesKey key{def.metric(), Labels(def.labels().begin(), def.labels().end())};
      index_.Load(id, std::move(key));
    }
    return FromRocks(it->status(), "loading series");
  }

  SeriesId Intern(const SeriesKey& key) override {
    bool is_new = false;
    return index_.Intern(key, &is_new);
  }

  absl::Status Append(absl::Span<const StoredSample> samples) override {
    if (samples.empty()) return absl::OkStatus();
    std::vector<SeriesId> ids;
    ids.reserve(samples.size());
    for (const StoredSample& s : samples) ids.push_back(s.series);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::vector<SeriesId> new_series = index_.Unpersisted(ids);

    rocksdb::WriteBatch batch(samples.size() * 12 + 64);
    for (SeriesId id : new_series) {
      SeriesKey key;
      if (!index_.Get(id, &key)) {
        return absl::InvalidArgumentError(absl::StrCat("append: unknown series id ", id));
      }
      rollguard::v1::SeriesDefinition def;
      def.set_id(id);
      def.set_metric(key.metric);
      for (const auto& [k, v] : key.labels) (*def.mutable_labels())[k] = v;
      batch.Put(series_cf_, EncodeSeriesIdKey(id), def.SerializeAsString());
    }
    // The whole batch is one log record, in the batch's one write.
    uint64_t seq = 0;
    {
      MutexLock lock(&inflight_mu_);
      seq = next_seq_++;
      inflight_.insert(seq);
    }
    batch.Put(log_cf_, EncodeBigEndian64(seq), EncodeLogRecord(samples));
    rocksdb::WriteOptions wo = write_options_;
    absl::Status st = FromRocks(db_->Write(wo, &batch), "writing samples");
    if (st.ok()) {
      if (!new_series.empty()) index_.MarkPersisted(new_series);
      heads_.Add(samples, seq, WallMs());
    }
    {
      MutexLock lock(&inflight_mu_);
      inflight_.erase(seq);
    }
    if (st.ok() && heads_.points() > options_.max_head_points) {
      // Back-pressure: wait for the sealer rather than grow. The ingest worker
      // waits, its stream's in-flight window fills, and gRPC stops reading.
      seal_cv_.notify_all();
      MutexLock lock(&seal_mu_);
      pressure_cv_.wait_for(lock.native(), std::chrono::seconds(10), [&] {
        return stopping_ || heads_.points() <= options_.max_head_points;
      });
    }
    return st;
  }

  bool GetSeries(SeriesId id, SeriesKey* key) const override { return index_.Get(id, key); }

  std::vector<SeriesInfo> FindSeries(absl::string_view metric,
                                     const Labels& matchers) const override {
    return index_.Find(metric, matchers);
  }

  absl::StatusOr<std::vector<Point>> Query(SeriesId id, int64_t start_ms, int64_t end_ms,
                                           size_t limit) const override {
    std::vector<Point> out;
    // Retention drops whole chunks; readers see its exact cutoff.
    start_ms = std::max(start_ms, retention_floor_ms_.load());
    if (end_ms <= start_ms) return out;
    // The head first, then the chunks: the sealer writes a chunk before it
    // drops the chunk's points from the head, so a point that leaves the head
    // after this read is already in a chunk the iterator below will see. (The
    // other order could miss points sealed in between.)
    heads_.Range(id, start_ms, end_ms, &out);
    const size_t head_points = out.size();
    // Sealed chunks that can overlap the range: those starting at most one
    // chunk span before it. A chunk ending before the range is not decoded.
    int64_t from = start_ms > std::numeric_limits<int64_t>::min() + kMaxChunkSpanMs
                       ? start_ms - kMaxChunkSpanMs
                       : std::numeric_limits<int64_t>::min();
    // Chunk keys start with the sample key of their first point.
    std::string lower = EncodeSampleKey(id, from);
    std::string upper = EncodeSampleKey(id, end_ms);
    rocksdb::Slice lower_s(lower), upper_s(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lower_s;
    ro.iterate_upper_bound = &upper_s;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, chunks_cf_));
    for (it->Seek(lower_s); it->Valid(); it->Next()) {
      absl::string_view key = ToView(it->key()), value = ToView(it->value());
      auto last = StoredChunkLastMs(key, value);
      if (!last.ok()) return Corrupt(id, last.status());
      if (*last < start_ms) continue;
      auto points = DecodeStoredChunk(key, value);
      if (!points.ok()) return Corrupt(id, points.status());
      for (const Point& p : *points) {
        if (p.timestamp_ms >= start_ms && p.timestamp_ms < end_ms) out.push_back(p);
      }
    }
    if (absl::Status s = FromRocks(it->status(), "query"); !s.ok()) return s;
    if (absl::Status s = QueryLegacy(id, start_ms, end_ms, &out); !s.ok()) return s;
    // The head's points are newer writes than a chunk holding the same
    // timestamp: put them last so they win.
    std::rotate(out.begin(), out.begin() + static_cast<ptrdiff_t>(head_points), out.end());
    NormalizePoints(&out);
    if (limit > 0 && out.size() > limit) {
      out.erase(out.begin(), out.end() - static_cast<ptrdiff_t>(limit));
    }
    return out;
  }

  absl::StatusOr<std::optional<Point>> Latest(SeriesId id) const override {
    auto latest = LatestUnfiltered(id);
    if (latest.ok() && *latest && (*latest)->timestamp_ms < retention_floor_ms_.load()) {
      return std::optional<Point>();
    }
    return latest;
  }

  absl::StatusOr<std::optional<Point>> LatestUnfiltered(SeriesId id) const {
    if (std::optional<Point> head = heads_.Latest(id)) return head;
    // Nothing in the head: the newest sealed chunk (or the first layout).
    std::string lower = EncodeSeriesIdKey(id);
    std::string upper = EncodeSeriesIdKey(id + 1);
    rocksdb::Slice lower_s(lower), upper_s(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lower_s;
    if (id != std::numeric_limits<SeriesId>::max()) ro.iterate_upper_bound = &upper_s;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, chunks_cf_));
    it->SeekToLast();
    if (it->Valid()) {
      auto points = DecodeStoredChunk(ToView(it->key()), ToView(it->value()));
      if (!points.ok()) return Corrupt(id, points.status());
      if (!points->empty()) return std::optional<Point>(points->back());
    }
    if (absl::Status s = FromRocks(it->status(), "latest"); !s.ok()) return s;
    std::vector<Point> legacy;
    if (absl::Status s = QueryLegacy(id, std::numeric_limits<int64_t>::min(),
                                     std::numeric_limits<int64_t>::max(), &legacy, 1);
        !s.ok()) {
      return s;
    }
    if (legacy.empty()) return std::optional<Point>();
    return std::optional<Point>(legacy.back());
  }

  absl::Status DeleteBefore(int64_t cutoff_ms) override {
    int64_t floor = retention_floor_ms_.load();
    while (cutoff_ms > floor && !retention_floor_ms_.compare_exchange_weak(floor, cutoff_ms)) {
    }
    // Whole chunks: one that starts a full span before the cutoff ends before it.
    rocksdb::WriteBatch batch;
    for (SeriesId id : index_.AllIds()) {
      batch.DeleteRange(chunks_cf_, EncodeSampleKey(id, std::numeric_limits<int64_t>::min()),
                        EncodeSampleKey(id, cutoff_ms - kMaxChunkSpanMs));
      batch.DeleteRange(samples_cf_, EncodeSampleKey(id, std::numeric_limits<int64_t>::min()),
                        EncodeSampleKey(id, cutoff_ms));
    }
    return FromRocks(db_->Write(write_options_, &batch), "retention delete");
  }

  absl::Status PutHost(const rollguard::v1::HostStatus& host) override {
    return FromRocks(db_->Put(write_options_, hosts_cf_, host.host_id(), host.SerializeAsString()),
                     "writing host record");
  }

  absl::StatusOr<std::vector<rollguard::v1::HostStatus>> LoadHosts() const override {
    std::vector<rollguard::v1::HostStatus> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), hosts_cf_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      rollguard::v1::HostStatus h;
      if (!h.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return absl::DataLossError(absl::StrCat("hosts column family: undecodable record for '",
                                                it->key().ToString(), "'"));
      }
      out.push_back(std::move(h));
    }
    if (absl::Status s = FromRocks(it->status(), "loading hosts"); !s.ok()) return s;
    return out;
  }

  RecordStore& records() override { return *this; }

  StorageStats Stats() const override {
    StorageStats st;
    st.head_points = heads_.points();
    st.head_series = heads_.series();
    st.head_points_limit = options_.max_head_points;
    st.series = index_.size();
    st.chunks_written = chunks_written_.load();
    st.chunks_merged = chunks_merged_.load();
    st.points_sealed = points_sealed_.load();
    for (rocksdb::ColumnFamilyHandle* cf : handles_) {
      uint64_t sst = 0, mem = 0;
      (void)db_->GetIntProperty(cf, rocksdb::DB::Properties::kTotalSstFilesSize, &sst);
      (void)db_->GetIntProperty(cf, rocksdb::DB::Properties::kCurSizeAllMemTables, &mem);
      (cf == chunks_cf_ ? st.chunk_bytes : cf == log_cf_ ? st.log_bytes : st.other_bytes) += sst;
      st.memtable_bytes += mem;
    }
    return st;
  }

  absl::Status Put(Table table, absl::string_view key, absl::string_view value) override {
    return FromRocks(db_->Put(write_options_, Cf(table), rocksdb::Slice(key.data(), key.size()),
                              rocksdb::Slice(value.data(), value.size())),
                     "writing record");
  }

  absl::Status Delete(Table table, absl::string_view key) override {
    return FromRocks(db_->Delete(write_options_, Cf(table), rocksdb::Slice(key.data(), key.size())),
                     "deleting record");
  }

  absl::Status Scan(
      Table table, absl::string_view start, absl::string_view end,
      const std::function<bool(absl::string_view, absl::string_view)>& fn) const override {
    rocksdb::ReadOptions ro;
    rocksdb::Slice upper(end.data(), end.size());
    if (!end.empty()) ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, Cf(table)));
    for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
      if (!fn(ToView(it->key()), ToView(it->value()))) break;
    }
    return FromRocks(it->status(), "scanning records");
  }

 private:
  rocksdb::ColumnFamilyHandle* Cf(Table t) const { return tables_[static_cast<int>(t)]; }

  // Points of the first layout (one key per sample), oldest first; with
  // `limit`, the newest `limit`.
  absl::Status QueryLegacy(SeriesId id, int64_t start_ms, int64_t end_ms, std::vector<Point>* out,
                           size_t limit = 0) const {
    std::string lower = EncodeSampleKey(id, start_ms);
    std::string upper = EncodeSampleKey(id, end_ms);
    rocksdb::Slice lower_s(lower), upper_s(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lower_s;
    ro.iterate_upper_bound = &upper_s;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, samples_cf_));
    std::vector<Point> found;
    if (limit == 0) {
      for (it->Seek(lower_s); it->Valid(); it->Next()) {
        Point p;
        if (!Decode(*it, &p)) return Corrupt(id);
        found.push_back(p);
      }
    } else {
      for (it->SeekToLast(); it->Valid() && found.size() < limit; it->Prev()) {
        Point p;
        if (!Decode(*it, &p)) return Corrupt(id);
        found.push_back(p);
      }
      std::reverse(found.begin(), found.end());
    }
    out->insert(out->end(), found.begin(), found.end());
    return FromRocks(it->status(), "query");
  }

  void SealLoop() {
    int64_t next_report = WallMs() + kReportEveryMs;
    MutexLock lock(&seal_mu_);
    while (!stopping_) {
      seal_cv_.wait_for(lock.native(), std::chrono::milliseconds(options_.seal_interval_ms));
      if (stopping_) break;
      lock.Unlock();
      // Rounds are bounded; a full one means more may be due right away.
      for (bool more = true; more && !Stopping();) {
        more = SealOnce(/*everything=*/false);
        TruncateLog();
        pressure_cv_.notify_all();
      }
      if (WallMs() >= next_report) {
        next_report = WallMs() + kReportEveryMs;
        spdlog::info("storage: heads hold {} points of {} series (~{} MB; limit {} points)",
                     heads_.points(), heads_.series(), heads_.points() * 16 / (1 << 20),
                     options_.max_head_points);
      }
      lock.Lock();
    }
  }

  bool Stopping() {
    MutexLock lock(&seal_mu_);
    return stopping_;
  }

  // Seals due heads (up to kSealRoundPoints points) into chunks, in one
  // write; their points leave the heads once the chunks are durable. True if
  // the round was full, so more heads may be due.
  bool SealOnce(bool everything) {
    SealPolicy policy;
    policy.full_points = options_.head_full_points;
    if (everything) {
      policy.min_points = 1;
    } else if (heads_.points() > options_.max_head_points / 2) {
      policy.min_points = 8;  // memory pressure: smaller chunks rather than more memory
    }
    policy.max_points = kSealRoundPoints;
    std::vector<SealJob> jobs = heads_.Collect(policy, WallMs());
    if (jobs.empty()) return false;
    size_t copied = 0;
    for (const SealJob& job : jobs) copied += job.count;
    rocksdb::WriteBatch batch;
    ChunkLimits limits;
    limits.max_span_ms = kMaxChunkSpanMs;
    limits.max_points = kMaxChunkPoints;
    // Not when closing: a stop should be quick; later seals merge.
    limits.merge = options_.merge_chunks && !everything;
    ChunkWriter writer(db_.get(), chunks_cf_, limits, &chunk_uniq_, &chunks_since_merge_);
    for (const SealJob& job : jobs) {
      std::vector<Point> points = job.points;
      NormalizePoints(&points);
      if (absl::Status s = writer.Add(job.series, std::move(points), &batch); !s.ok()) {
        spdlog::error("storage: sealing: {} (the points stay in the heads and the log)",
                      s.ToString());
        heads_.Abort(jobs);
        return false;
      }
    }
    absl::Status s = FromRocks(db_->Write(write_options_, &batch), "sealing chunks");
    if (!s.ok()) {
      spdlog::error("storage: {} (the points stay in the heads and the log)", s.ToString());
      heads_.Abort(jobs);
      return false;
    }
    heads_.Release(jobs);
    chunks_written_ += writer.written_chunks();
    chunks_merged_ += writer.merged_chunks();
    points_sealed_ += copied;
    return copied >= kSealRoundPoints;
  }

  // Deletes the log records every sample of which is in a chunk.
  void TruncateLog() {
    uint64_t below = 0;
    {
      MutexLock lock(&inflight_mu_);
      below = next_seq_;
      if (!inflight_.empty()) below = std::min(below, *inflight_.begin());
    }
    below = std::min(below, heads_.MinSeq());
    if (below <= truncated_below_) return;
    absl::Status s =
        FromRocks(db_->DeleteRange(write_options_, log_cf_, EncodeBigEndian64(truncated_below_),
                                   EncodeBigEndian64(below)),
                  "truncating the sample log");
    if (!s.ok()) {
      spdlog::error("storage: {}", s.ToString());
      return;
    }
    truncated_below_ = below;
  }

  static bool Decode(const rocksdb::Iterator& it, Point* p) {
    uint32_t series = 0;
    return DecodeSampleKey(ToView(it.key()), &series, &p->timestamp_ms) &&
           DecodeValue(ToView(it.value()), &p->value);
  }
  static absl::Status Corrupt(SeriesId id, const absl::Status& why = absl::OkStatus()) {
    return absl::DataLossError(absl::StrCat("samples of series ", id, ": undecodable record",
                                            why.ok() ? "" : " (", why.message(),
                                            why.ok() ? "" : ")"));
  }

  std::unique_ptr<rocksdb::DB> db_;
  RocksDbOptions options_;
  rocksdb::WriteOptions write_options_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* series_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* samples_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* log_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* chunks_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* hosts_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* tables_[kTableCount] = {};
  SeriesIndex index_;

  SeriesHeads heads_;
  Mutex inflight_mu_;
  uint64_t next_seq_ = 0;         // guarded by inflight_mu_
  std::set<uint64_t> inflight_;   // appends written or being written, not yet in the heads
  uint64_t truncated_below_ = 0;  // sealer thread (and the destructor, after it)
  uint32_t chunk_uniq_ = 0;       // sealer thread
  std::vector<uint8_t> chunks_since_merge_;  // sealer thread; by series id
  std::atomic<uint64_t> chunks_written_{0}, chunks_merged_{0}, points_sealed_{0};
  std::atomic<int64_t> retention_floor_ms_{std::numeric_limits<int64_t>::min()};
  Mutex seal_mu_;
  std::condition_variable seal_cv_;
  std::condition_variable pressure_cv_;
  bool stopping_ = false;  // guarded by seal_mu_
  std::thread sealer_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Storage>> OpenRocksDbStorage(const std::string& dir,
                                                            const RocksDbOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("data dir ", dir, ": ", ec.message()));

  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = RocksDbColumnFamilies();
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(RocksDbDbOptions(), dir, cfs, &handles, &raw);
  if (!s.ok()) {
    return FromRocks(s, absl::StrCat("opening data dir ", dir,
                                     s.IsIOError() ? " (is another collector using it?)" : ""));
  }
  auto storage =
      std::make_unique<RocksDbStorage>(std::unique_ptr<rocksdb::DB>(raw), handles, options);
  if (absl::Status st = storage->LoadSeries(); !st.ok()) return st;
  if (absl::Status st = storage->RecoverHeads(); !st.ok()) return st;
  return std::unique_ptr<Storage>(std::move(storage));
}

}  // namespace rollguard::collector
