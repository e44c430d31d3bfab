// libFuzzer target for the StatsD parser: any bytes as a datagram must parse
// or be refused, never crash, hang or read out of bounds (built with ASan and
// UBSan). Build and run: make fuzz  (needs clang).
#include <cstddef>
#include <cstdint>

#include "agent/statsd/statsd_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view datagram(reinterpret_cast<const char*>(data), size);
  size_t good = 0, bad = 0;
  rollguard::agent::ParseStatsdDatagram(
      datagram,
      [&](const rollguard::agent::StatsdLine& line) {
        // Touch everything the aggregator would.
        good += line.name.size() + line.values.size() + line.tags.size() + line.set_member.size();
        for (const auto& t : line.tags) good += t.key.size() + t.value.size();
      },
      [&](absl::string_view text, const absl::Status& s) {
        bad += text.size() + s.message().size();
      });
  return 0;
}
