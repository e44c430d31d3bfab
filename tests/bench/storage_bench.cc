// Storage and ingest-path micro-benchmarks: the costs behind the collector's
// samples/s. Run: build/tests/storage_bench
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <random>
#include <thread>

#include "collector/ingest/batch_decoder.h"
#include "collector/storage/chunk_codec.h"
#include "collector/storage/key_codec.h"
#include "collector/storage/rocksdb_storage.h"
#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

void BM_EncodeSampleKey(benchmark::State& state) {
  int64_t t = 1'800'000'000'000;
  for (auto _ : state) benchmark::DoNotOptimize(EncodeSampleKey(42, t++));
}
BENCHMARK(BM_EncodeSampleKey);

// A 120-point chunk of a drifting two-decimal gauge, 10 s apart with ±4 ms of
// jitter: what the sealer encodes and a query decodes, per point.
std::vector<Point> GaugeChunk() {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> step(0, 0.4);
  std::vector<Point> p;
  double v = 50;
  for (int i = 0; i < 120; ++i) {
    v += step(rng);
    p.push_back({1'800'000'000'000 + i * 10'000 + static_cast<int64_t>(rng() % 9) - 4,
                 std::round(v * 100) / 100});
  }
  return p;
}

void BM_EncodeChunk(benchmark::State& state) {
  std::vector<Point> p = GaugeChunk();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string c = EncodeChunk(p);
    bytes = c.size();
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(p.size()));
  state.counters["bytes_per_point"] = static_cast<double>(bytes) / static_cast<double>(p.size());
}
BENCHMARK(BM_EncodeChunk);

void BM_DecodeChunk(benchmark::State& state) {
  std::vector<Point> p = GaugeChunk();
  std::string c = EncodeChunk(p);
  for (auto _ : state) {
    auto d = DecodeChunk(c, p[0].timestamp_ms);
    if (!d.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(p.size()));
}
BENCHMARK(BM_DecodeChunk);

// One durable Append of a batch of `range(0)` samples over 20 series (WAL on,
// no fsync: the collector's default).
void BM_RocksDbAppend(benchmark::State& state) {
  rollguard::testing::TempDir dir;
  auto st = OpenRocksDbStorage(dir.path(), {});
  Storage& s = **st;
  std::vector<SeriesId> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(s.Intern({"m" + std::to_string(i), {{"host", "h"}}}));
  const int n = static_cast<int>(state.range(0));
  int64_t t = 1'800'000'000'000;
  std::vector<StoredSample> batch(n);
  for (auto _ : state) {
    for (int i = 0; i < n; ++i) batch[i] = {ids[i % 20], t + i / 20 * 10000, 42.5 + i % 7};
    t += static_cast<int64_t>(n / 20 + 1) * 10000;
    if (!s.Append(batch).ok()) state.SkipWithError("append failed");
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_RocksDbAppend)->Arg(20)->Arg(200)->Arg(1000)->UseRealTime();

// Decoding and validating an agent batch (the reactor's share of ingest).
void BM_DecodeBatch(benchmark::State& state) {
  rollguard::testing::TempDir dir;
  auto st = OpenRocksDbStorage(dir.path(), {});
  StreamSeries stream("h", st->get());
  rollguard::v1::MetricBatch defs;
  for (uint32_t i = 1; i <= 20; ++i) {
    auto* d = defs.add_new_series();
    d->set_id(i);
    d->set_metric("m" + std::to_string(i));
  }
  std::vector<StoredSample> out;
  (void)stream.Decode(defs, &out);
  rollguard::v1::MetricBatch b;
  for (int i = 0; i < 1000; ++i) {
    b.add_series_ids(1 + i % 20);
    b.add_timestamps_ms(1'800'000'000'000 + i);
    b.add_values(i * 0.5);
  }
  for (auto _ : state) benchmark::DoNotOptimize(stream.Decode(b, &out));
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_DecodeBatch);

// One series' last 24 h at 10 s resolution (8,640 points), from sealed chunks.
void BM_Query24h(benchmark::State& state) {
  rollguard::testing::TempDir dir;
  auto st = OpenRocksDbStorage(dir.path(), {});
  Storage& s = **st;
  SeriesId id = s.Intern({"cpu_usage", {{"host", "h"}}});
  SeriesId other = s.Intern({"memory_usage", {{"host", "h"}}});
  const int64_t t0 = 1'800'000'000'000;
  std::vector<StoredSample> in;
  for (int i = 0; i < 8640; ++i) {
    in.push_back({id, t0 + i * 10000LL, 10.0 + i % 50});
    in.push_back({other, t0 + i * 10000LL, 50.0});
  }
  (void)s.Append(in);
  // Measure the sealed chunks, not the in-memory head.
  for (int i = 0; i < 100 && s.Stats().head_points > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (s.Stats().head_points > 0) state.SkipWithError("the heads were not sealed");
  for (auto _ : state) {
    auto pts = s.Query(id, t0, t0 + 86'400'000, 0);
    benchmark::DoNotOptimize(pts);
  }
}
BENCHMARK(BM_Query24h)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rollguard::collector

BENCHMARK_MAIN();
