// The collector's storage, behind a small interface so its on-disk layout can
// change (e.g. to compressed per-series chunks) without touching ingest, the
// API or rules. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "collector/storage/point.h"
#include "collector/storage/record_store.h"
#include "common/labels.h"

namespace rollguard::collector {

using SeriesId = uint32_t;

// A series across the fleet: metric name plus labels, including host=<id>.
struct SeriesKey {
  std::string metric;
  Labels labels;
  bool operator==(const SeriesKey&) const = default;
};

struct SeriesInfo {
  SeriesId id = 0;
  SeriesKey key;
};

struct StoredSample {
  SeriesId series = 0;
  int64_t timestamp_ms = 0;
  double value = 0;
};

// One record of the sample log: a batch of samples as it arrived.
struct LogRecord {
  uint64_t seq = 0;
  std::vector<StoredSample> samples;
};

// What the storage holds in memory, for reporting and tests.
struct StorageStats {
  size_t head_points = 0;
  size_t head_series = 0;
  size_t head_points_limit = 0;
  size_t head_bytes = 0;  // the heads' compressed points
  size_t series = 0;
  // Since open.
  uint64_t chunks_written = 0;
  uint64_t chunks_merged = 0;
  uint64_t points_sealed = 0;
  // SST files, and RocksDB's in-memory write buffers.
  uint64_t chunk_bytes = 0;
  uint64_t log_bytes = 0;
  uint64_t other_bytes = 0;
  uint64_t memtable_bytes = 0;
  // Sample writes that failed since open; while the latest failed (a full
  // disk, say), why and since when. Cleared by the next write that succeeds.
  uint64_t failed_writes = 0;
  std::string write_error;
  int64_t write_error_since_ms = 0;
  // Records found damaged at open and moved aside (the collector still starts).
  uint64_t quarantined_records = 0;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // The id of `key`, assigned in memory if new. Cheap after the first call.
  // The series is made durable by the first Append that uses it.
  virtual SeriesId Intern(const SeriesKey& key) = 0;
  // Whether `key` has an id already, and how many series have one (both
  // cheap: ingest checks them against the collector-wide series bound).
  virtual bool HasSeries(const SeriesKey& key) const = 0;
  virtual size_t SeriesCount() const = 0;
  // Series whose "host" label is `host` (the per-host quota counts these).
  virtual size_t SeriesCountOfHost(absl::string_view host) const = 0;

  // Stores the samples, and any series they use that is not yet stored, in one
  // atomic write. OK means durable: the samples survive a crash of the process
  // (and, with sync writes on, of the machine). Writing a (series, time) that
  // exists replaces its value, so a resent batch is harmless.
  [[nodiscard]] virtual absl::Status Append(absl::Span<const StoredSample> samples) = 0;

  // The key of a series id; false if unknown.
  virtual bool GetSeries(SeriesId id, SeriesKey* key) const = 0;

  // Series named `metric` (any, if empty) whose labels include all `matchers`.
  virtual std::vector<SeriesInfo> FindSeries(absl::string_view metric,
                                             const Labels& matchers) const = 0;

  // Points with start_ms <= t < end_ms, oldest first; when more than `limit`
  // match, the newest `limit` (limit 0 = no limit).
  [[nodiscard]] virtual absl::StatusOr<std::vector<Point>> Query(SeriesId id, int64_t start_ms,
                                                                 int64_t end_ms,
                                                                 size_t limit) const = 0;

  // The newest point of a series, if it has any.
  [[nodiscard]] virtual absl::StatusOr<std::optional<Point>> Latest(SeriesId id) const = 0;

  // Retention: deletes every point older than `cutoff_ms`.
  [[nodiscard]] virtual absl::Status DeleteBefore(int64_t cutoff_ms) = 0;

  // Keyed records kept in the same database (alerts, silences, hosts, ...).
  virtual RecordStore& records() = 0;
  // HA: from now on records() answers `replacement` (collector/ha: it writes
  // control records through to etcd and keeps local_records() as its copy).
  // Set once, before anything reads records().
  virtual void ReplaceRecords(RecordStore* replacement) = 0;
  // This database's own records, whatever records() answers.
  virtual RecordStore& local_records() = 0;

  // Readers of the sample log (remote write). Each has a named cursor kept in
  // the database, and the log keeps every record from the lowest cursor on,
  // so a reader whose receiver is down, or that restarts, loses nothing. A
  // reader seen for the first time starts at the log's end (new samples).
  [[nodiscard]] virtual absl::StatusOr<uint64_t> OpenLogReader(absl::string_view name);
  // Persists that the reader has read every record below `next`.
  [[nodiscard]] virtual absl::Status AdvanceLogReader(absl::string_view name, uint64_t next);
  // Forgets every reader not named, so a removed one stops holding the log.
  [[nodiscard]] virtual absl::Status RetainLogReaders(const std::vector<std::string>& names);
  // Whole records numbered `from` or more, oldest first, until they hold
  // `max_samples` (always at least one record, when there is one). Only
  // records already written: reading the same range again gives the same.
  // A record that cannot be decoded comes back empty, counted in *skipped.
  [[nodiscard]] virtual absl::StatusOr<std::vector<LogRecord>> ReadLog(uint64_t from,
                                                                       size_t max_samples,
                                                                       uint64_t* skipped) const;
  // The number the next record will get: a reader at LogEnd() is caught up.
  virtual uint64_t LogEnd() const { return 0; }

  virtual StorageStats Stats() const { return {}; }
};

}  // namespace rollguard::collector
