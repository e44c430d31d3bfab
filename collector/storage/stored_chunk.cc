#include "collector/storage/stored_chunk.h"

#include "collector/storage/chunk_codec.h"
#include "collector/storage/key_codec.h"
#include "collector/storage/varint.h"

namespace rollguard::collector {

namespace {

constexpr char kFormat = 2;  // format 1 (an unreleased first layout) is gone
constexpr size_t kKeySize = kSampleKeySize + 4 + 1;

absl::Status Damaged(const char* what) {
  return absl::DataLossError(std::string("stored chunk: ") + what);
}

// The first timestamp of a chunk key; false for anything else.
bool ParseKey(absl::string_view key, int64_t* first_ms) {
  uint32_t series = 0;
  return key.size() == kKeySize && key.back() == kFormat &&
         DecodeSampleKey(key.substr(0, kSampleKeySize), &series, first_ms);
}

}  // namespace

StoredChunk EncodeStoredChunk(uint32_t series, const std::vector<Point>& points, uint32_t uniq) {
  StoredChunk c;
  c.key = EncodeSampleKey(series, points.front().timestamp_ms) + EncodeBigEndian32(uniq);
  c.key.push_back(kFormat);
  PutVarint(static_cast<uint64_t>(points.back().timestamp_ms) -
                static_cast<uint64_t>(points.front().timestamp_ms),
            &c.value);
  c.value += EncodeChunk(points);
  return c;
}

absl::StatusOr<int64_t> StoredChunkLastMs(absl::string_view key, absl::string_view value) {
  int64_t first = 0;
  if (!ParseKey(key, &first)) return Damaged("not a chunk key");
  uint64_t span = 0;
  if (!GetVarint(&value, &span)) return Damaged("span");
  return static_cast<int64_t>(static_cast<uint64_t>(first) + span);
}

absl::StatusOr<std::vector<Point>> DecodeStoredChunk(absl::string_view key,
                                                     absl::string_view value) {
  int64_t first = 0;
  if (!ParseKey(key, &first)) return Damaged("not a chunk key");
  uint64_t span = 0;
  if (!GetVarint(&value, &span)) return Damaged("span");
  return DecodeChunk(value, first);
}

}  // namespace rollguard::collector
