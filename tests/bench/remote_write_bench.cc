// Remote write's costs: building a request, and draining the sample log to a
// receiver on loopback that takes and decompresses every request (what a
// receiver must at least do). "Keeps up with ingest at N samples/s" means the
// drain rate is above N. Run: build/tests/remote_write_bench
// With a real VictoriaMetrics: RW_BENCH_URL=http://.../api/v1/write (the
// request_bytes counter then stays 0: the sink is not used).
#include <benchmark/benchmark.h>
#include <httplib.h>
#include <snappy.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"
#include "collector/remote_write/remote_writer.h"
#include "collector/remote_write/write_request.h"
#include "collector/storage/rocksdb_storage.h"
#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

// `hosts` agents' batches of 20 series each, `points` per series, as they arrive.
void Fill(Storage* storage, int hosts, int points, int64_t start_ms) {
  std::vector<SeriesId> ids;
  for (int h = 0; h < hosts; ++h) {
    for (int s = 0; s < 20; ++s) {
      ids.push_back(storage->Intern(
          {absl::StrCat("metric_", s), {{"host", absl::StrCat("bot-", h)}, {"job", "sportsbot"}}}));
    }
  }
  std::vector<StoredSample> batch;
  for (int p = 0; p < points; p += 10) {
    for (int h = 0; h < hosts; ++h) {
      batch.clear();
      for (int s = 0; s < 20; ++s) {
        for (int k = p; k < p + 10 && k < points; ++k) {
          batch.push_back({ids[h * 20 + s], start_ms + k * 1000, 50.0 + (k % 7)});
        }
      }
      if (!storage->Append(batch).ok()) std::abort();
    }
  }
}

void BM_BuildWriteRequest(benchmark::State& state) {
  testing::TempDir dir;
  auto storage = *OpenRocksDbStorage(dir.path(), {});
  Fill(storage.get(), 50, 10, 1'800'000'000'000);  // 10,000 samples, 1,000 series
  uint64_t skipped = 0;
  std::vector<LogRecord> records = *storage->ReadLog(0, 1'000'000, &skipped);
  size_t samples = 0;
  for (auto _ : state) {
    WriteRequestBuilder builder(storage.get());  // fresh: nothing counts as sent
    BuiltRequest built = builder.Build(records);
    samples += built.samples;
    benchmark::DoNotOptimize(built.body.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(samples));
}
BENCHMARK(BM_BuildWriteRequest)->Unit(benchmark::kMillisecond);

// The log holds `hosts` x 20 series x 300 points; a writer drains it.
void BM_DrainToReceiver(benchmark::State& state) {
  const int hosts = static_cast<int>(state.range(0));
  httplib::Server sink;
  std::atomic<uint64_t> bytes{0};
  sink.Post("/api/v1/write", [&](const httplib::Request& req, httplib::Response& res) {
    std::string raw;
    if (!snappy::Uncompress(req.body.data(), req.body.size(), &raw)) res.status = 400;
    bytes += raw.size();
    res.status = 204;
  });
  const int port = sink.bind_to_any_port("127.0.0.1");
  std::thread server([&] { sink.listen_after_bind(); });
  uint64_t sent = 0;
  double seconds = 0;
  for (auto _ : state) {
    testing::TempDir dir;
    auto storage = *OpenRocksDbStorage(dir.path(), {});
    RemoteWriteConfig config;
    config.name = "sink";
    config.url = absl::StrCat("http://127.0.0.1:", port, "/api/v1/write");
    // RW_BENCH_URL: a real receiver instead (scripts/bench_remote_write.sh).
    if (const char* url = std::getenv("RW_BENCH_URL")) config.url = url;
    // Opened before the samples, so the reader starts at the log's start.
    if (!storage->OpenLogReader("sink").ok()) std::abort();
    Fill(storage.get(), hosts, 300, Clock::Real().NowMs() - 600'000);
    RemoteWriter writer(config, storage.get(), &Clock::Real());
    const auto t0 = std::chrono::steady_clock::now();
    if (!writer.Start().ok()) std::abort();
    while (writer.Stats().pending_records > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sent += writer.Stats().samples_sent;
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  sink.stop();
  server.join();
  state.counters["samples_per_s"] = static_cast<double>(sent) / seconds;
  state.counters["request_bytes_per_sample"] =
      static_cast<double>(bytes.load()) / static_cast<double>(sent);
  state.SetItemsProcessed(static_cast<int64_t>(sent));
}
BENCHMARK(BM_DrainToReceiver)
    ->Arg(200)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace
}  // namespace rollguard::collector

BENCHMARK_MAIN();
