#include "collector/storage/key_codec.h"

#include <cstring>

namespace rollguard::collector {
namespace {

void PutBE32(char* p, uint32_t v) {
  for (int i = 3; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}
void PutBE64(char* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}
uint32_t GetBE32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
uint64_t GetBE64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
constexpr uint64_t kSignBit = uint64_t{1} << 63;

}  // namespace

std::string EncodeSampleKey(uint32_t series, int64_t timestamp_ms) {
  std::string k(kSampleKeySize, '\0');
  PutBE32(k.data(), series);
  PutBE64(k.data() + 4, static_cast<uint64_t>(timestamp_ms) ^ kSignBit);
  return k;
}

bool DecodeSampleKey(absl::string_view key, uint32_t* series, int64_t* timestamp_ms) {
  if (key.size() != kSampleKeySize) return false;
  *series = GetBE32(key.data());
  *timestamp_ms = static_cast<int64_t>(GetBE64(key.data() + 4) ^ kSignBit);
  return true;
}

std::string EncodeSeriesIdKey(uint32_t series) {
  std::string k(4, '\0');
  PutBE32(k.data(), series);
  return k;
}

bool DecodeSeriesIdKey(absl::string_view key, uint32_t* series) {
  if (key.size() != 4) return false;
  *series = GetBE32(key.data());
  return true;
}

std::string EncodeBigEndian64(uint64_t v) {
  std::string out(8, '\0');
  PutBE64(out.data(), v);
  return out;
}

std::string EncodeBigEndian32(uint32_t v) {
  std::string out(4, '\0');
  PutBE32(out.data(), v);
  return out;
}

std::string EncodeValue(double v) {
  std::string out(sizeof(double), '\0');
  std::memcpy(out.data(), &v, sizeof(double));
  return out;
}

bool DecodeValue(absl::string_view bytes, double* v) {
  if (bytes.size() != sizeof(double)) return false;
  std::memcpy(v, bytes.data(), sizeof(double));
  return true;
}

}  // namespace rollguard::collector
