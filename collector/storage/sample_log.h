// The sample log: each acknowledged batch as one record, keyed by its arrival
// sequence, written in the batch's one RocksDB write. It is what makes a batch
// durable before its samples are sealed into chunks; a record is deleted once
// every sample in it is in a chunk, and replayed into the heads on restart.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "collector/storage/storage.h"

namespace rollguard::collector {

// count, then per sample: series (varint), time delta from the previous
// sample (zigzag varint), the value's 8 bytes.
std::string EncodeLogRecord(absl::Span<const StoredSample> samples);
[[nodiscard]] absl::StatusOr<std::vector<StoredSample>> DecodeLogRecord(absl::string_view bytes);

}  // namespace rollguard::collector
