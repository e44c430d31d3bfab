#include "collector/storage/rocksdb_storage.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "collector/storage/chunk_codec.h"
#include "collector/storage/chunk_query.h"
#include "collector/storage/key_codec.h"
#include "collector/storage/log_readers.h"
#include "collector/storage/rocksdb_layout.h"
#include "collector/storage/rocksdb_records.h"
#include "collector/storage/rocksdb_status.h"
#include "collector/storage/sample_log.h"
#include "collector/storage/sealer.h"
#include "collector/storage/series_heads.h"
#include "collector/storage/series_index.h"
#include "collector/storage/stored_chunk.h"
#include "common/mutex.h"
#include "common/status_macros.h"
#include "rollguard/v1/metrics.pb.h"

namespace rollguard::collector {
namespace {

rocksdb::WriteOptions MakeWriteOptions(const RocksDbOptions& options) {
  rocksdb::WriteOptions wo;
  wo.sync = options.sync_writes;
  return wo;
}

SealerOptions MakeSealerOptions(const RocksDbOptions& o) {
  SealerOptions s;
  s.max_head_points = o.max_head_points;
  s.head_full_points = o.head_full_points;
  s.seal_interval_ms = o.seal_interval_ms;
  s.merge_chunks = o.merge_chunks;
  return s;
}

rocksdb::ColumnFamilyHandle* Named(const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
                                   absl::string_view name) {
  for (auto* cf : cfs) {
    if (cf->GetName() == name) return cf;
  }
  return nullptr;
}

// The series (index), the samples (log + heads + chunks, sealed by the
// Sealer) and the records, in one RocksDB database.
class RocksDbStorage final : public Storage {
 public:
  RocksDbStorage(std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> cfs,
                 const RocksDbOptions& options)
      : db_(std::move(db)),
        options_(options),
        write_options_(MakeWriteOptions(options)),
        handles_(std::move(cfs)),
        series_cf_(Named(handles_, kSeriesCf)),
        log_cf_(Named(handles_, kLogCf)),
        chunks_cf_(Named(handles_, kChunksCf)),
        quarantine_cf_(Named(handles_, kQuarantineCf)),
        records_(db_.get(), handles_, write_options_),
        readers_(db_.get(), Named(handles_, rocksdb::kDefaultColumnFamilyName), write_options_),
        sealer_(db_.get(), chunks_cf_, log_cf_, write_options_, &heads_, &log_seq_, &readers_,
                options.clock, MakeSealerOptions(options)) {}

  ~RocksDbStorage() override {
    sealer_.Stop();
    // Seal what is left, so the next start has little log to replay.
    if (options_.seal_on_close) {
      sealer_.SealEverything();
      // Chunks to SST files and the emptied log compacted away, so the next
      // open neither replays a large WAL nor carries the log's tombstones.
      rocksdb::FlushOptions fo;
      (void)db_->Flush(fo, handles_);
      (void)db_->CompactRange(rocksdb::CompactRangeOptions(), log_cf_, nullptr, nullptr);
    }
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
  }

  // Counts what earlier opens quarantined.
  absl::Status CountQuarantined() {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), quarantine_cf_));
    uint64_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    quarantined_ = n;
    if (n > 0) {
      spdlog::warn("storage: {} damaged record(s) are kept in quarantine (rollguard storage)", n);
    }
    return FromRocks(it->status(), "counting quarantined records");
  }

  // Moves a record that cannot be decoded out of `cf` into quarantine, so
  // one damaged record does not keep the collector from starting; what it
  // held is lost to queries, and `rollguard storage` counts it.
  absl::Status Quarantine(rocksdb::ColumnFamilyHandle* cf, const rocksdb::Slice& key,
                          const rocksdb::Slice& value, absl::string_view why) {
    spdlog::error(
        "storage: {} record ({}-byte key, {}-byte value) cannot be decoded: {}; moved to "
        "quarantine",
        cf->GetName(), key.size(), value.size(), std::string(why));
    rocksdb::WriteBatch batch;
    // The time makes the key unique: a sequence number reused later and
    // damaged again does not overwrite the first.
    batch.Put(quarantine_cf_,
              absl::StrCat(cf->GetName(), std::string(1, '\0'), ToView(key), std::string(1, '\0'),
                           EncodeBigEndian64(static_cast<uint64_t>(absl::GetCurrentTimeNanos()))),
              value);
    batch.Delete(cf, key);
    rocksdb::WriteOptions sync;
    sync.sync = true;
    RETURN_IF_ERROR(FromRocks(db_->Write(sync, &batch), "quarantining a damaged record"));
    ++quarantined_;
    return absl::OkStatus();
  }

  absl::Status LoadSeries() {
    RETURN_IF_ERROR(CountQuarantined());
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), series_cf_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      uint32_t id = 0;
      rollguard::v1::SeriesDefinition def;
      if (!DecodeSeriesIdKey(ToView(it->key()), &id) ||
          !def.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())) ||
          def.metric().empty()) {
        if (id != 0) index_.Retire(id);
        RETURN_IF_ERROR(Quarantine(series_cf_, it->key(), it->value(), "not a series definition"));
        continue;
      }
      SeriesKey key{def.metric(), Labels(def.labels().begin(), def.labels().end())};
      index_.Load(id, std::move(key));
    }
    return FromRocks(it->status(), "loading series");
  }

  // Rebuilds the heads from the log records not yet sealed, then starts
  // sealing. (Sealed records still present are kept for a log reader.)
  absl::Status RecoverHeads() {
    RETURN_IF_ERROR(readers_.Load());
    const uint64_t sealed_below = readers_.sealed_below();
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), log_cf_));
    uint64_t first = 0, last = 0;
    bool any = false;
    it->SeekToFirst();
    if (it->Valid() && it->key().size() == 8) first = DecodeSeq(it->key());
    size_t records = 0, samples = 0;
    SeriesId max_logged_id = 0;
    for (it->Seek(EncodeBigEndian64(sealed_below)); it->Valid(); it->Next()) {
      if (it->key().size() != 8) {
        RETURN_IF_ERROR(Quarantine(log_cf_, it->key(), it->value(), "bad key"));
        continue;
      }
      const uint64_t seq = DecodeSeq(it->key());
      auto batch = DecodeLogRecord(ToView(it->value()));
      if (!batch.ok()) {
        RETURN_IF_ERROR(Quarantine(log_cf_, it->key(), it->value(), batch.status().message()));
        continue;
      }
      last = seq;
      any = true;
      ++records;
      samples += batch->size();
      for (const StoredSample& s : *batch) max_logged_id = std::max(max_logged_id, s.series);
      heads_.Add(*batch, seq, options_.clock->NowMs());
    }
    if (absl::Status s = FromRocks(it->status(), "replaying the sample log"); !s.ok()) return s;
    // New records number above every record, mark and cursor on disk: a
    // reader must never find its place taken by older numbers.
    log_seq_.StartAt(std::max({any ? last + 1 : 0, sealed_below, readers_.Max()}));
    if (records > 0) {
      spdlog::info("storage: replayed {} samples from {} log records into the heads", samples,
                   records);
    }
    // Ids used in the log or in chunks but whose definition is gone
    // (quarantined, or never written) are never handed to a new series:
    // their samples would join it.
    index_.Retire(max_logged_id);
    RETURN_IF_ERROR(RetireHighestChunkId());
    sealer_.Start(first);
    return absl::OkStatus();
  }

  static uint64_t DecodeSeq(const rocksdb::Slice& key) {
    uint64_t seq = 0;
    for (int i = 0; i < 8; ++i) seq = (seq << 8) | static_cast<uint8_t>(key[i]);
    return seq;
  }

  // Chunk keys start with the series id (big-endian): the last key holds the
  // highest id any chunk uses.
  absl::Status RetireHighestChunkId() {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), chunks_cf_));
    it->SeekToLast();
    uint32_t series = 0;
    int64_t first_ms = 0;
    if (it->Valid() && it->key().size() >= kSampleKeySize &&
        DecodeSampleKey(absl::string_view(it->key().data(), kSampleKeySize), &series, &first_ms)) {
      index_.Retire(series);
    }
    return FromRocks(it->status(), "reading the last chunk key");
  }

  SeriesId Intern(const SeriesKey& key) override {
    bool is_new = false;
    return index_.Intern(key, &is_new);
  }
  bool HasSeries(const SeriesKey& key) const override { return index_.Contains(key); }
  size_t SeriesCount() const override { return index_.size(); }
  size_t SeriesCountOfHost(absl::string_view host) const override {
    return index_.CountOfHost(host);
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
    uint64_t seq = log_seq_.Begin();
    batch.Put(log_cf_, EncodeBigEndian64(seq), EncodeLogRecord(samples));
    // On a full disk RocksDB stops writing (this write fails UNAVAILABLE: the
    // agent keeps the batch and resends) and resumes by itself once its
    // SstFileManager sees free space again (polled every few seconds).
    // (Calling DB::Resume() ourselves while the disk was still full kept
    // writes stopped after space returned, in tests/unit/.../disk_full_test.)
    absl::Status st = FromRocks(db_->Write(write_options_, &batch), "writing samples");
    NoteWrite(st);
    if (st.ok()) {
      if (!new_series.empty()) index_.MarkPersisted(new_series);
      heads_.Add(samples, seq, options_.clock->NowMs());
    }
    log_seq_.End(seq);
    if (st.ok()) sealer_.WaitForRoom();
    return st;
  }

  // Keeps what `rollguard storage` shows about failing writes; logs the
  // start and the end of a run of failures, not every one.
  void NoteWrite(const absl::Status& st) {
    MutexLock lock(&health_mu_);
    if (st.ok()) {
      if (!write_error_.empty()) {
        spdlog::info("storage: sample writes work again (they failed for {} ms)",
                     options_.clock->NowMs() - write_error_since_ms_);
      }
      write_error_.clear();
      write_error_since_ms_ = 0;
      return;
    }
    ++failed_writes_;
    if (write_error_.empty()) {
      write_error_since_ms_ = options_.clock->NowMs();
      spdlog::error("storage: sample writes fail, batches are refused until they work again: {}",
                    std::string(st.message()));
    }
    write_error_ = std::string(st.message());
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
    // after this read is already in a chunk read below. (The other order could
    // miss points sealed in between.)
    heads_.Range(id, start_ms, end_ms, &out);
    const size_t head_points = out.size();
    if (absl::Status s = ReadChunks(db_.get(), chunks_cf_, id, start_ms, end_ms, &out); !s.ok()) {
      return s;
    }
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
    std::optional<Point> head = heads_.Latest(id);
    absl::StatusOr<std::optional<Point>> latest =
        head ? head : NewestChunkPoint(db_.get(), chunks_cf_, id);
    if (latest.ok() && *latest && (*latest)->timestamp_ms < retention_floor_ms_.load()) {
      return std::optional<Point>();
    }
    return latest;
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
    }
    return FromRocks(db_->Write(write_options_, &batch), "retention delete");
  }

  RecordStore& records() override { return replaced_ != nullptr ? *replaced_ : records_; }
  void ReplaceRecords(RecordStore* replacement) override { replaced_ = replacement; }
  RecordStore& local_records() override { return records_; }

  absl::StatusOr<uint64_t> OpenLogReader(absl::string_view name) override {
    return readers_.Open(name, log_seq_.Floor());
  }
  absl::Status AdvanceLogReader(absl::string_view name, uint64_t next) override {
    return readers_.Advance(name, next);
  }
  absl::Status RetainLogReaders(const std::vector<std::string>& names) override {
    return readers_.Retain(names);
  }
  uint64_t LogEnd() const override { return log_seq_.Floor(); }

  absl::StatusOr<std::vector<LogRecord>> ReadLog(uint64_t from, size_t max_samples,
                                                 uint64_t* skipped) const override {
    // Below the lowest record still being written, so a second read of the
    // same range finds the same records.
    const uint64_t end = log_seq_.Floor();
    std::vector<LogRecord> out;
    if (from >= end) return out;
    rocksdb::ReadOptions ro;
    const std::string upper = EncodeBigEndian64(end);
    rocksdb::Slice upper_slice(upper);
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_cf_));
    size_t samples = 0;
    for (it->Seek(EncodeBigEndian64(from)); it->Valid() && samples < max_samples; it->Next()) {
      if (it->key().size() != 8) continue;
      auto batch = DecodeLogRecord(ToView(it->value()));
      if (!batch.ok()) {
        spdlog::error("storage: sample log record {} cannot be decoded ({}); readers skip it",
                      DecodeSeq(it->key()), std::string(batch.status().message()));
        if (skipped != nullptr) ++*skipped;
        // An empty record in its place, so the reader moves past it.
        out.push_back(LogRecord{DecodeSeq(it->key()), {}});
        continue;
      }
      samples += batch->size();
      out.push_back(LogRecord{DecodeSeq(it->key()), *std::move(batch)});
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "reading the sample log"));
    return out;
  }

  StorageStats Stats() const override {
    StorageStats st;
    {
      MutexLock lock(&health_mu_);
      st.failed_writes = failed_writes_;
      st.write_error = write_error_;
      st.write_error_since_ms = write_error_since_ms_;
    }
    st.quarantined_records = quarantined_.load();
    st.head_points = heads_.points();
    st.head_series = heads_.series();
    st.head_points_limit = options_.max_head_points;
    st.head_bytes = heads_.point_bytes();
    st.series = index_.size();
    st.chunks_written = sealer_.chunks_written();
    st.chunks_merged = sealer_.chunks_merged();
    st.points_sealed = sealer_.points_sealed();
    for (rocksdb::ColumnFamilyHandle* cf : handles_) {
      uint64_t sst = 0, mem = 0;
      (void)db_->GetIntProperty(cf, rocksdb::DB::Properties::kTotalSstFilesSize, &sst);
      (void)db_->GetIntProperty(cf, rocksdb::DB::Properties::kCurSizeAllMemTables, &mem);
      (cf == chunks_cf_ ? st.chunk_bytes : cf == log_cf_ ? st.log_bytes : st.other_bytes) += sst;
      st.memtable_bytes += mem;
    }
    return st;
  }

 private:
  // Declaration order is construction order: the sealer last, since it uses
  // the heads and the log sequence.
  std::unique_ptr<rocksdb::DB> db_;
  const RocksDbOptions options_;
  const rocksdb::WriteOptions write_options_;
  mutable Mutex health_mu_;
  uint64_t failed_writes_ ABSL_GUARDED_BY(health_mu_) = 0;
  std::string write_error_ ABSL_GUARDED_BY(health_mu_);
  int64_t write_error_since_ms_ ABSL_GUARDED_BY(health_mu_) = 0;
  const std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* const series_cf_;
  rocksdb::ColumnFamilyHandle* const log_cf_;
  rocksdb::ColumnFamilyHandle* const chunks_cf_;
  rocksdb::ColumnFamilyHandle* const quarantine_cf_;
  // Entries in quarantine_cf_ (counted at open, then kept up to date).
  std::atomic<uint64_t> quarantined_{0};
  RocksDbRecords records_;
  RecordStore* replaced_ = nullptr;
  SeriesIndex index_;
  SeriesHeads heads_;
  LogSequence log_seq_;
  LogReaders readers_;
  std::atomic<int64_t> retention_floor_ms_{std::numeric_limits<int64_t>::min()};
  Sealer sealer_;
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
  rocksdb::DBOptions db_options = RocksDbDbOptions();
  if (options.env != nullptr) db_options.env = options.env.get();
  rocksdb::Status s = rocksdb::DB::Open(db_options, dir, cfs, &handles, &raw);
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
