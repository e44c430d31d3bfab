// libFuzzer target for the collector's batch decoder: whatever bytes an agent
// stream delivers (parsed as a MetricBatch, as gRPC would), decoding must
// accept or refuse them without crashing, and what it accepts must hold the
// bounds: no sample of an undefined series, no more series than the limit,
// no sample outside the time window. Built with ASan and UBSan.
// Build and run: make fuzz  (needs clang).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "collector/ingest/batch_decoder.h"
#include "google/protobuf/stubs/logging.h"
#include "rollguard/v1/metrics.pb.h"
#include "tests/fakes/memory_storage.h"

using rollguard::collector::DecodedBatch;
using rollguard::collector::IngestLimits;
using rollguard::collector::StreamSeries;
using rollguard::collector::TimeWindow;

// Invalid UTF-8 in a string field is a parse failure protobuf also logs;
// a line per input would drown the fuzzer's own output.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rollguard::v1::MetricBatch batch;
  if (!batch.ParseFromArray(data, static_cast<int>(size))) return 0;
  rollguard::testing::MemoryStorage storage;
  IngestLimits limits;
  limits.max_series_per_stream = 64;  // small, so the bound is reached
  limits.max_labels_per_series = 8;
  StreamSeries stream("fuzz-host", &storage, limits);
  const TimeWindow window{1'700'000'000'000, 1'900'000'000'000};
  // Twice: the second time every definition is a repeat of the first.
  for (int round = 0; round < 2; ++round) {
    DecodedBatch out;
    if (!stream.Decode(batch, window, &out).ok()) continue;
    if (stream.series_defined() > limits.max_series_per_stream) std::abort();
    if (out.samples.size() + out.refused != static_cast<size_t>(batch.series_ids_size())) {
      std::abort();
    }
    for (const auto& s : out.samples) {
      if (s.series == 0 || s.timestamp_ms < window.min_ms || s.timestamp_ms > window.max_ms) {
        std::abort();
      }
    }
  }
  return 0;
}
