#include "collector/storage/chunk_writer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "collector/storage/chunk_codec.h"
#include "collector/storage/key_codec.h"
#include "collector/storage/stored_chunk.h"

namespace rollguard::collector {

namespace {

absl::string_view View(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

ChunkWriter::ChunkWriter(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* chunks,
                         const ChunkLimits& limits, uint32_t* uniq,
                         std::vector<uint8_t>* since_merge)
    : chunks_(chunks), limits_(limits), uniq_(uniq), since_merge_(since_merge), db_(db) {}

absl::Status ChunkWriter::Add(SeriesId series, std::vector<Point> points,
                              rocksdb::WriteBatch* batch) {
  if (points.empty()) return absl::OkStatus();
  if (series >= since_merge_->size()) since_merge_->resize(static_cast<size_t>(series) + 1, 0);
  uint8_t& since_merge = (*since_merge_)[series];
  auto put_unmerged = [&](size_t trailing) {
    Put(series, points, batch);
    since_merge = static_cast<uint8_t>(std::min<size_t>(trailing + 1, 255));
    return absl::OkStatus();
  };
  if (!limits_.merge || since_merge + 1u < limits_.merge_fan_in) {
    return put_unmerged(since_merge);
  }
  if (it_ == nullptr) it_.reset(db_->NewIterator(rocksdb::ReadOptions(), chunks_));
  // The series' chunks, newest first: take each that is small, within one
  // span of the new points, and no larger than what has been gathered.
  struct Taken {
    std::string key;
    std::vector<Point> points;
  };
  std::vector<Taken> taken;
  size_t gathered = points.size();
  const int64_t last = points.back().timestamp_ms;
  const int64_t window_start = last < std::numeric_limits<int64_t>::min() + limits_.max_span_ms
                                   ? std::numeric_limits<int64_t>::min()
                                   : last - limits_.max_span_ms;
  if (series == std::numeric_limits<SeriesId>::max()) {
    it_->SeekToLast();
  } else {
    it_->SeekForPrev(EncodeSeriesIdKey(series + 1));
  }
  const std::string prefix = EncodeSeriesIdKey(series);
  for (; it_->Valid() && it_->key().starts_with(prefix); it_->Prev()) {
    uint32_t key_series = 0;
    int64_t first_ms = 0;
    // A damaged chunk is left where it is (queries report it) and ends the
    // merge: failing the seal would stall every series behind this one.
    if (it_->key().size() < kSampleKeySize ||
        !DecodeSampleKey(View(it_->key()).substr(0, kSampleKeySize), &key_series, &first_ms)) {
      spdlog::warn(
          "storage: series {}: a chunk key of {} bytes does not decode; not merging past it",
          series, it_->key().size());
      break;
    }
    if (first_ms < window_start) break;
    auto old = DecodeStoredChunk(View(it_->key()), View(it_->value()));
    if (!old.ok()) {
      spdlog::warn("storage: series {}: {}; not merging past it", series,
                   std::string(old.status().message()));
      break;
    }
    if (old->size() >= limits_.merge_target || old->size() > gathered) break;
    gathered += old->size();
    taken.push_back({it_->key().ToString(), std::move(*old)});
  }
  if (!it_->status().ok()) {
    return absl::UnavailableError(absl::StrCat("reading chunks: ", it_->status().ToString()));
  }
  if (taken.size() + 1 < limits_.merge_fan_in) return put_unmerged(taken.size());
  // Oldest chunk first and the new points last, so for a repeated timestamp
  // the newest write wins, as it does in a query.
  std::vector<Point> merged;
  merged.reserve(gathered);
  for (auto t = taken.rbegin(); t != taken.rend(); ++t) {
    merged.insert(merged.end(), t->points.begin(), t->points.end());
    batch->Delete(chunks_, t->key);
  }
  merged.insert(merged.end(), points.begin(), points.end());
  NormalizePoints(&merged);
  Put(series, merged, batch);
  merged_chunks_ += taken.size();
  since_merge = 0;
  return absl::OkStatus();
}

void ChunkWriter::Put(SeriesId series, const std::vector<Point>& points,
                      rocksdb::WriteBatch* batch) {
  // Split so no chunk spans more than max_span_ms or holds more than max_points.
  size_t i = 0;
  while (i < points.size()) {
    size_t j = i;
    while (j < points.size() && j - i < limits_.max_points &&
           points[j].timestamp_ms - points[i].timestamp_ms < limits_.max_span_ms) {
      ++j;
    }
    std::vector<Point> chunk(points.begin() + static_cast<ptrdiff_t>(i),
                             points.begin() + static_cast<ptrdiff_t>(j));
    StoredChunk stored = EncodeStoredChunk(series, chunk, (*uniq_)++);
    batch->Put(chunks_, stored.key, stored.value);
    ++written_chunks_;
    i = j;
  }
}

}  // namespace rollguard::collector
