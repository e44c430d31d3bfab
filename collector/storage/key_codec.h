// Byte layouts of RocksDB keys and values. Keys are big-endian so that
// RocksDB's bytewise order is (series, time) order and a range scan is a time
// range of one series.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace rollguard::collector {

inline constexpr size_t kSampleKeySize = 12;

// 4-byte series id, then the timestamp as 8 bytes with the sign bit flipped
// (so negative times sort before positive ones).
std::string EncodeSampleKey(uint32_t series, int64_t timestamp_ms);
// False if `key` is not a sample key.
bool DecodeSampleKey(absl::string_view key, uint32_t* series, int64_t* timestamp_ms);

std::string EncodeSeriesIdKey(uint32_t series);
bool DecodeSeriesIdKey(absl::string_view key, uint32_t* series);

// Plain big-endian integers, for other bytewise-ordered keys (e.g. event time).
std::string EncodeBigEndian64(uint64_t v);
std::string EncodeBigEndian32(uint32_t v);

// Values are the IEEE-754 bits, little-endian (as in memory on x86 and ARM).
std::string EncodeValue(double v);
bool DecodeValue(absl::string_view bytes, double* v);

}  // namespace rollguard::collector
