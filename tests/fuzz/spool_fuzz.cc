// A spool file left by a crash (or damaged on disk) must never stop the
// agent: any bytes as a segment file are recovered or skipped, and every
// batch recovered reads back or is dropped with a count, never a crash.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "agent/buffer/sample_buffer.h"
#include "agent/buffer/spool.h"
#include "agent/buffer/spool_frames.h"

namespace {

std::string FuzzDir() {
  static const std::string dir = [] {
    std::string d = (std::filesystem::temp_directory_path() /
                     ("rollguard-spool-fuzz-" + std::to_string(::getpid())))
                        .string();
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rollguard::agent;
  const std::string dir = FuzzDir();
  for (const auto& e : std::filesystem::directory_iterator(dir)) std::filesystem::remove(e.path());
  // Half the inputs get the magic for free, so the fuzzer spends its time on
  // frames and records rather than on finding eight bytes.
  std::string file(reinterpret_cast<const char*>(data), size);
  if (size > 0 && (data[0] & 1)) file = std::string(kSpoolMagic) + file.substr(1);
  std::ofstream(dir + "/seg-0000000000000003.spool", std::ios::binary) << file;

  SeriesRegistry registry;
  auto spool = Spool::Open(SpoolOptions{dir, 1 << 20}, &registry);
  if (!spool.ok()) std::abort();  // damage is never an error
  SampleBuffer buffer(50);
  buffer.AttachSpool(std::move(*spool));
  size_t seen = 0;
  for (;;) {
    auto batches = buffer.TakeUnsent(16, 64, absl::ZeroDuration());
    if (batches.empty()) break;
    for (const Batch& b : batches) {
      for (const BufferedSample& s : b.samples) {
        rollguard::v1::SeriesDefinition def;
        if (!registry.Definition(s.series_id, &def)) std::abort();  // ids always mapped
      }
      seen += b.samples.size();
      buffer.Remove(b.sequence);
    }
  }
  if (buffer.buffered_samples() != 0) std::abort();
  (void)seen;
  return 0;
}
