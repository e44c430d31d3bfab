#include "collector/storage/rocksdb_storage.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <limits>

#include "absl/strings/str_cat.h"
#include "collector/storage/key_codec.h"
#include "collector/storage/series_index.h"
#include "rollguard/v1/metrics.pb.h"

namespace rollguard::collector {
namespace {

constexpr char kSeriesCf[] = "series";

absl::string_view ToView(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }
constexpr char kSamplesCf[] = "samples";
constexpr char kHostsCf[] = "hosts";

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
      if (cf->GetName() == kHostsCf) hosts_cf_ = cf;
      for (int t = 0; t < kTableCount; ++t) {
        if (cf->GetName() == kTableNames[t]) tables_[t] = cf;
      }
      handles_.push_back(cf);
    }
    write_options_.sync = options_.sync_writes;
  }

  ~RocksDbStorage() override {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
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

    rocksdb::WriteBatch batch(samples.size() * 32 + 64);
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
    for (const StoredSample& s : samples) {
      batch.Put(samples_cf_, EncodeSampleKey(s.series, s.timestamp_ms), EncodeValue(s.value));
    }
    rocksdb::WriteOptions wo = write_options_;
    absl::Status st = FromRocks(db_->Write(wo, &batch), "writing samples");
    if (st.ok() && !new_series.empty()) index_.MarkPersisted(new_series);
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
    if (end_ms <= start_ms) return out;
    std::string lower = EncodeSampleKey(id, start_ms);
    std::string upper = EncodeSampleKey(id, end_ms);
    rocksdb::Slice lower_s(lower), upper_s(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lower_s;
    ro.iterate_upper_bound = &upper_s;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, samples_cf_));
    if (limit == 0) {
      for (it->Seek(lower_s); it->Valid(); it->Next()) {
        Point p;
        if (!Decode(*it, &p)) return Corrupt(id);
        out.push_back(p);
      }
    } else {
      // Walk back from the end so only the newest `limit` points are read.
      for (it->SeekToLast(); it->Valid() && out.size() < limit; it->Prev()) {
        Point p;
        if (!Decode(*it, &p)) return Corrupt(id);
        out.push_back(p);
      }
      std::reverse(out.begin(), out.end());
    }
    if (absl::Status s = FromRocks(it->status(), "query"); !s.ok()) return s;
    return out;
  }

  absl::StatusOr<std::optional<Point>> Latest(SeriesId id) const override {
    auto points =
        Query(id, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 1);
    if (!points.ok()) return points.status();
    if (points->empty()) return std::optional<Point>();
    return std::optional<Point>(points->back());
  }

  absl::Status DeleteBefore(int64_t cutoff_ms) override {
    rocksdb::WriteBatch batch;
    for (SeriesId id : index_.AllIds()) {
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

  static bool Decode(const rocksdb::Iterator& it, Point* p) {
    uint32_t series = 0;
    return DecodeSampleKey(ToView(it.key()), &series, &p->timestamp_ms) &&
           DecodeValue(ToView(it.value()), &p->value);
  }
  static absl::Status Corrupt(SeriesId id) {
    return absl::DataLossError(absl::StrCat("samples of series ", id, ": undecodable record"));
  }

  std::unique_ptr<rocksdb::DB> db_;
  RocksDbOptions options_;
  rocksdb::WriteOptions write_options_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* series_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* samples_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* hosts_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* tables_[kTableCount] = {};
  SeriesIndex index_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Storage>> OpenRocksDbStorage(const std::string& dir,
                                                            const RocksDbOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("data dir ", dir, ": ", ec.message()));

  rocksdb::DBOptions db_opts;
  db_opts.create_if_missing = true;
  db_opts.create_missing_column_families = true;
  db_opts.max_background_jobs = 2;
  db_opts.keep_log_file_num = 5;

  rocksdb::ColumnFamilyOptions samples_opts;
  samples_opts.compression = rocksdb::kLZ4Compression;
  samples_opts.bottommost_compression = rocksdb::kZSTD;
  rocksdb::ColumnFamilyOptions small_opts;
  small_opts.OptimizeForSmallDb();

  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, small_opts},
      {kSeriesCf, small_opts},
      {kSamplesCf, samples_opts},
      {kHostsCf, small_opts},
  };
  for (const char* name : kTableNames) cfs.emplace_back(name, small_opts);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_opts, dir, cfs, &handles, &raw);
  if (!s.ok()) {
    return FromRocks(s, absl::StrCat("opening data dir ", dir,
                                     s.IsIOError() ? " (is another collector using it?)" : ""));
  }
  auto storage =
      std::make_unique<RocksDbStorage>(std::unique_ptr<rocksdb::DB>(raw), handles, options);
  if (absl::Status st = storage->LoadSeries(); !st.ok()) return st;
  return std::unique_ptr<Storage>(std::move(storage));
}

}  // namespace rollguard::collector
