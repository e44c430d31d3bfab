#include "collector/storage/chunk_query.h"

#include <limits>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "collector/storage/key_codec.h"
#include "collector/storage/rocksdb_status.h"
#include "collector/storage/stored_chunk.h"

namespace rollguard::collector {
namespace {

absl::Status Corrupt(SeriesId id, const absl::Status& why) {
  return absl::DataLossError(
      absl::StrCat("samples of series ", id, ": undecodable chunk (", why.message(), ")"));
}

}  // namespace

absl::Status ReadChunks(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* chunks, SeriesId id,
                        int64_t start_ms, int64_t end_ms, std::vector<Point>* out) {
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
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, chunks));
  for (it->Seek(lower_s); it->Valid(); it->Next()) {
    absl::string_view key = ToView(it->key()), value = ToView(it->value());
    auto last = StoredChunkLastMs(key, value);
    if (!last.ok()) return Corrupt(id, last.status());
    if (*last < start_ms) continue;
    auto points = DecodeStoredChunk(key, value);
    if (!points.ok()) return Corrupt(id, points.status());
    for (const Point& p : *points) {
      if (p.timestamp_ms >= start_ms && p.timestamp_ms < end_ms) out->push_back(p);
    }
  }
  return FromRocks(it->status(), "query");
}

absl::StatusOr<std::optional<Point>> NewestChunkPoint(rocksdb::DB* db,
                                                      rocksdb::ColumnFamilyHandle* chunks,
                                                      SeriesId id) {
  std::string lower = EncodeSeriesIdKey(id);
  std::string upper = EncodeSeriesIdKey(id + 1);
  rocksdb::Slice lower_s(lower), upper_s(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower_s;
  if (id != std::numeric_limits<SeriesId>::max()) ro.iterate_upper_bound = &upper_s;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, chunks));
  it->SeekToLast();
  if (it->Valid()) {
    auto points = DecodeStoredChunk(ToView(it->key()), ToView(it->value()));
    if (!points.ok()) return Corrupt(id, points.status());
    if (!points->empty()) return std::optional<Point>(points->back());
  }
  if (absl::Status s = FromRocks(it->status(), "latest"); !s.ok()) return s;
  return std::optional<Point>();
}

}  // namespace rollguard::collector
