// The agent's cost per sampling interval: one pass over /proc, statvfs and the
// bot lookup, into the buffer; and the disk spool's cost per batch and to
// read back a full spool after a restart. Run: build/tests/agent_bench
// (the spool's folder is under $TMPDIR: point it at the disk to measure).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/buffer/sample_buffer.h"
#include "agent/buffer/spool.h"
#include "tests/support/process.h"

namespace rollguard::agent {
namespace {

void RunSampleOnce(benchmark::State& state, BotMatch bot) {
  AgentConfig c;
  c.host_id = "bench";
  c.collector = "127.0.0.1:1";  // never connected: the uplink is not started
  c.bot = std::move(bot);
  c.buffer_max_samples = 1000;
  Agent agent(c);
  for (auto _ : state) agent.SampleOnce();
}

void BM_SampleOnce_Pidfile(benchmark::State& state) {
  rollguard::testing::TempDir dir;
  rollguard::testing::WriteTextFile(dir.File("bot.pid"), std::to_string(getpid()));
  RunSampleOnce(state, {dir.File("bot.pid"), "", ""});
}
BENCHMARK(BM_SampleOnce_Pidfile);

// The runbook's pattern match scans every process's cmdline: costlier.
void BM_SampleOnce_CmdlineMatch(benchmark::State& state) {
  RunSampleOnce(state, {"", "no-such-bot-process.py", ""});
}
BENCHMARK(BM_SampleOnce_CmdlineMatch);

std::vector<BufferedSample> Batch(uint32_t series, int n, int64_t t0) {
  std::vector<BufferedSample> out;
  for (int i = 0; i < n; ++i) out.push_back({series + static_cast<uint32_t>(i), t0, 0.5 * i});
  return out;
}

// One interval's batch (30 samples) into a spooled buffer: a write and an
// fdatasync, acknowledged at once as when the collector is up.
void BM_SpoolPushAndAck(benchmark::State& state) {
  rollguard::testing::TempDir dir;
  SeriesRegistry registry;
  for (int i = 0; i < 500; ++i) registry.IdFor("m" + std::to_string(i), {});
  SampleBuffer buffer(200000);
  auto spool = Spool::Open(SpoolOptions{dir.File("spool"), 64ull << 20}, &registry);
  if (!spool.ok()) return state.SkipWithError(std::string(spool.status().message()).c_str());
  buffer.AttachSpool(std::move(*spool));
  int64_t t = 0;
  for (auto _ : state) {
    buffer.Push(Batch(1, static_cast<int>(state.range(0)), ++t));
    for (const auto& b : buffer.TakeUnsent(8, 64, absl::ZeroDuration())) buffer.Remove(b.sequence);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SpoolPushAndAck)->Arg(30)->Arg(500)->UseRealTime();

// A full 64 MB spool left by a crash: open it (scan, re-register series)
// and send it all (read back batch by batch), as a restarted agent does.
void BM_SpoolRecoverAndDrain64MB(benchmark::State& state) {
  rollguard::testing::TempDir dir;
  const std::string path = dir.File("spool");
  size_t samples = 0;
  {
    SeriesRegistry registry;
    for (int i = 0; i < 500; ++i) registry.IdFor("m" + std::to_string(i), {{"k", "v"}});
    SampleBuffer buffer(200000);
    auto spool = Spool::Open(SpoolOptions{path, 64ull << 20}, &registry);
    if (!spool.ok()) return state.SkipWithError(std::string(spool.status().message()).c_str());
    buffer.AttachSpool(std::move(*spool));
    for (int64_t t = 0; buffer.spool_stats().bytes < (60ull << 20); ++t) {
      buffer.Push(Batch(1, 500, 1'800'000'000'000 + t * 1000));
    }
    samples = buffer.buffered_samples();
  }
  for (auto _ : state) {
    SeriesRegistry registry;
    SampleBuffer buffer(200000);
    auto spool = Spool::Open(SpoolOptions{path, 64ull << 20}, &registry);
    if (!spool.ok()) return state.SkipWithError(std::string(spool.status().message()).c_str());
    buffer.AttachSpool(std::move(*spool));
    size_t drained = 0;
    // Nothing acknowledged (no in-flight limit here), so the next
    // iteration finds the same spool again.
    for (;;) {
      auto batches = buffer.TakeUnsent(64, SIZE_MAX, absl::ZeroDuration());
      if (batches.empty()) break;
      for (const auto& b : batches) drained += b.samples.size();
    }
    if (drained < samples) state.SkipWithError("not every spooled sample came back");
    state.counters["samples"] = static_cast<double>(samples);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(samples));
}
BENCHMARK(BM_SpoolRecoverAndDrain64MB)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace rollguard::agent

BENCHMARK_MAIN();
