// libFuzzer target for the chunk codec (chunks come from disk and may be
// damaged): any bytes must decode or be refused, never
// crash or read out of bounds; and any points, read from the same bytes,
// must survive encode + decode bit for bit. Built with ASan and UBSan.
// Build and run: make fuzz  (needs clang).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "collector/storage/chunk_codec.h"

using rollguard::collector::Point;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)rollguard::collector::DecodeChunk(bytes, 1'800'000'000'000);

  // The same bytes as points: 16 bytes each (time, value bits), times kept
  // near one another half of the time so the grid and decimal paths run.
  std::vector<Point> points;
  for (size_t i = 0; i + 16 <= size && points.size() < 600; i += 16) {
    Point p;
    std::memcpy(&p.timestamp_ms, data + i, 8);
    std::memcpy(&p.value, data + i + 8, 8);
    if (data[i] & 1) {
      p.timestamp_ms = 1'800'000'000'000 + static_cast<int64_t>(i) * 625 + (p.timestamp_ms % 9);
      p.value = static_cast<double>(static_cast<int32_t>(p.timestamp_ms >> 8) % 10000) / 100;
    }
    points.push_back(p);
  }
  if (points.empty()) return 0;
  rollguard::collector::NormalizePoints(&points);
  auto back = rollguard::collector::DecodeChunk(rollguard::collector::EncodeChunk(points),
                                                points[0].timestamp_ms);
  if (!back.ok() || back->size() != points.size()) std::abort();
  for (size_t i = 0; i < points.size(); ++i) {
    if ((*back)[i].timestamp_ms != points[i].timestamp_ms ||
        std::memcmp(&(*back)[i].value, &points[i].value, 8) != 0) {
      std::abort();
    }
  }
  return 0;
}
