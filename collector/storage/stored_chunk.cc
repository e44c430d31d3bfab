#include "collector/storage/stored_chunk.h"

#include <cstring>

#include "collector/storage/chunk_codec.h"
#include "collector/storage/chunk_codec_v1.h"
#include "collector/storage/key_codec.h"
#include "collector/storage/varint.h"

namespace rollguard::collector {

namespace {

constexpr char kFormat2 = 2;
constexpr size_t kKeyV1Size = kSampleKeySize + 4;
constexpr size_t kKeyV2Size = kKeyV1Size + 1;

absl::Status Damaged(const char* what) {
  return absl::DataLossError(std::string("stored chunk: ") + what);
}

// The first timestamp and the key's format (1 or 2), or 0 for no chunk key.
int ParseKey(absl::string_view key, int64_t* first_ms) {
  uint32_t series = 0;
  if (key.size() < kSampleKeySize ||
      !DecodeSampleKey(key.substr(0, kSampleKeySize), &series, first_ms)) {
    return 0;
  }
  if (key.size() == kKeyV1Size) return 1;
  if (key.size() == kKeyV2Size && key.back() == kFormat2) return 2;
  return 0;
}

}  // namespace

StoredChunk EncodeStoredChunk(uint32_t series, const std::vector<Point>& points, uint32_t uniq) {
  StoredChunk c;
  c.key = EncodeSampleKey(series, points.front().timestamp_ms) + EncodeBigEndian32(uniq);
  c.key.push_back(kFormat2);
  PutVarint(static_cast<uint64_t>(points.back().timestamp_ms) -
                static_cast<uint64_t>(points.front().timestamp_ms),
            &c.value);
  c.value += EncodeChunk(points);
  return c;
}

absl::StatusOr<int64_t> StoredChunkLastMs(absl::string_view key, absl::string_view value) {
  int64_t first = 0;
  switch (ParseKey(key, &first)) {
    case 1: {
      if (value.size() < 8) return Damaged("value too short");
      int64_t last = 0;
      std::memcpy(&last, value.data(), 8);
      return last;
    }
    case 2: {
      uint64_t span = 0;
      if (!GetVarint(&value, &span)) return Damaged("span");
      return static_cast<int64_t>(static_cast<uint64_t>(first) + span);
    }
    default:
      return Damaged("not a chunk key");
  }
}

absl::StatusOr<std::vector<Point>> DecodeStoredChunk(absl::string_view key,
                                                     absl::string_view value) {
  int64_t first = 0;
  switch (ParseKey(key, &first)) {
    case 1:
      if (value.size() < 8) return Damaged("value too short");
      return DecodeChunkV1(value.substr(8));
    case 2: {
      uint64_t span = 0;
      if (!GetVarint(&value, &span)) return Damaged("span");
      return DecodeChunk(value, first);
    }
    default:
      return Damaged("not a chunk key");
  }
}

}  // namespace rollguard::collector
