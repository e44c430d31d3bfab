// Storage and RecordStore in memory, for unit tests of logic above the
// storage (rules, commands, incidents, hosts): no RocksDB folder, no sealing
// thread. The same contracts as the RocksDB storage where logic depends on
// them: a rewritten (series, time) replaces its value; Query returns the
// newest `limit` points oldest first; records scan in key order. "Restart" in
// such a test is new managers over the same MemoryStorage.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "collector/storage/storage.h"
#include "common/mutex.h"

namespace rollguard::testing {

class MemoryRecordStore : public collector::RecordStore {
 public:
  absl::Status Put(collector::Table table, absl::string_view key, absl::string_view value) override;
  absl::Status Delete(collector::Table table, absl::string_view key) override;
  absl::Status Scan(
      collector::Table table, absl::string_view start, absl::string_view end,
      const std::function<bool(absl::string_view, absl::string_view)>& fn) const override;

 private:
  mutable Mutex mu_;
  std::map<std::string, std::string> tables_[collector::kTableCount] ABSL_GUARDED_BY(mu_);
};

class MemoryStorage : public collector::Storage {
 public:
  collector::SeriesId Intern(const collector::SeriesKey& key) override;
  bool HasSeries(const collector::SeriesKey& key) const override;
  size_t SeriesCount() const override;
  size_t SeriesCountOfHost(absl::string_view host) const override;
  absl::Status Append(absl::Span<const collector::StoredSample> samples) override;
  bool GetSeries(collector::SeriesId id, collector::SeriesKey* key) const override;
  std::vector<collector::SeriesInfo> FindSeries(absl::string_view metric,
                                                const Labels& matchers) const override;
  absl::StatusOr<std::vector<collector::Point>> Query(collector::SeriesId id, int64_t start_ms,
                                                      int64_t end_ms, size_t limit) const override;
  absl::StatusOr<std::optional<collector::Point>> Latest(collector::SeriesId id) const override;
  absl::Status DeleteBefore(int64_t cutoff_ms) override;
  collector::RecordStore& records() override {
    return replaced_ != nullptr ? *replaced_ : records_;
  }
  void ReplaceRecords(collector::RecordStore* r) override { replaced_ = r; }
  collector::RecordStore& local_records() override { return records_; }

 private:
  mutable Mutex mu_;
  std::vector<collector::SeriesKey> keys_ ABSL_GUARDED_BY(mu_) = {
      collector::SeriesKey{}};                                           // id 0 unused
  std::map<std::string, collector::SeriesId> ids_ ABSL_GUARDED_BY(mu_);  // canonical key -> id
  std::map<collector::SeriesId, std::map<int64_t, double>> points_ ABSL_GUARDED_BY(mu_);
  MemoryRecordStore records_;
  collector::RecordStore* replaced_ = nullptr;
};

}  // namespace rollguard::testing
