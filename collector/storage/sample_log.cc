#include "collector/storage/sample_log.h"

#include <algorithm>
#include <cstring>

#include "collector/storage/varint.h"

namespace rollguard::collector {

std::string EncodeLogRecord(absl::Span<const StoredSample> samples) {
  std::string out;
  out.reserve(samples.size() * 12 + 4);
  PutVarint(samples.size(), &out);
  int64_t prev = 0;
  for (const StoredSample& s : samples) {
    PutVarint(s.series, &out);
    PutVarint(ZigZag(s.timestamp_ms - prev), &out);
    prev = s.timestamp_ms;
    char b[8];
    std::memcpy(b, &s.value, 8);
    out.append(b, 8);
  }
  return out;
}

absl::StatusOr<std::vector<StoredSample>> DecodeLogRecord(absl::string_view in) {
  uint64_t n = 0;
  if (!GetVarint(&in, &n) || n > in.size() / 10 + 1) {
    return absl::DataLossError("sample log record: bad count");
  }
  std::vector<StoredSample> out(n);
  int64_t prev = 0;
  for (auto& s : out) {
    uint64_t series = 0, dt = 0;
    if (!GetVarint(&in, &series) || series > UINT32_MAX || !GetVarint(&in, &dt) || in.size() < 8) {
      return absl::DataLossError("sample log record: truncated");
    }
    s.series = static_cast<SeriesId>(series);
    s.timestamp_ms = prev + UnZigZag(dt);
    prev = s.timestamp_ms;
    std::memcpy(&s.value, in.data(), 8);
    in.remove_prefix(8);
  }
  if (!in.empty()) return absl::DataLossError("sample log record: trailing bytes");
  return out;
}

void LogSequence::StartAt(uint64_t next) {
  MutexLock lock(&mu_);
  next_ = next;
}

uint64_t LogSequence::Begin() {
  MutexLock lock(&mu_);
  uint64_t seq = next_++;
  inflight_.insert(seq);
  return seq;
}

void LogSequence::End(uint64_t seq) {
  MutexLock lock(&mu_);
  inflight_.erase(seq);
}

uint64_t LogSequence::Floor() const {
  MutexLock lock(&mu_);
  return inflight_.empty() ? next_ : std::min(next_, *inflight_.begin());
}

}  // namespace rollguard::collector
