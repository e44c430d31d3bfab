// Storage and ingest-path micro-benchmarks: the costs behind the collector's
// samples/s. Run: build/tests/storage_bench
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>
#include <thread>

#include "collector/ingest/batch_decoder.h"
#include "collector/storage/chunk_codec.h"
#include "collector/storage/key_codec.h"
#include "collector/storage/rocksdb_layout.h"
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
  DecodedBatch out;
  (void)stream.Decode(defs, {}, &out);
  rollguard::v1::MetricBatch b;
  for (int i = 0; i < 1000; ++i) {
    b.add_series_ids(1 + i % 20);
    b.add_timestamps_ms(1'800'000'000'000 + i);
    b.add_values(i * 0.5);
  }
  for (auto _ : state) benchmark::DoNotOptimize(stream.Decode(b, {}, &out));
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

// Compacts every column family of a closed database, so what is measured is
// live data, not chunks a merge has replaced and compaction not yet dropped
// (RocksDB's leveled compaction keeps that to ~10% in steady operation).
void CompactAll(const std::string& dir) {
  auto raw = OpenRawRocksDb(dir);
  if (!raw.ok()) return;
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (auto* h : (*raw)->handles()) (void)(*raw)->db()->CompactRange(co, h, nullptr, nullptr);
}

// Bytes on disk a sample, when heads are sealed `range(0)` points at a time
// as in steady operation (60: the 10-minute age limit at a 10 s interval; 8:
// under memory pressure), with chunk merging on (range(1) = 1) or off.
// 1,000 series (3 drifting two-decimal gauges to 1 counter) x 720 points
// (2 h), ±4 ms of jitter; SST files after a clean close. A size, not a time:
// one iteration.
void BM_SealedBytesPerSample(benchmark::State& state) {
  const size_t seal = static_cast<size_t>(state.range(0));
  const int kSeries = 1000, kPoints = 720;
  for (auto _ : state) {
    rollguard::testing::TempDir dir;
    {
      RocksDbOptions o;
      o.head_full_points = seal;
      o.seal_interval_ms = 5;
      o.merge_chunks = state.range(1) == 1;
      auto st = OpenRocksDbStorage(dir.path(), o);
      Storage& s = **st;
      std::vector<SeriesId> ids;
      std::vector<double> value(kSeries);
      for (int i = 0; i < kSeries; ++i) {
        ids.push_back(s.Intern(
            {i % 4 == 3 ? "requests_total" : "gauge_" + std::to_string(i % 20),
             {{"host", "bot-" + std::to_string(i / 20)}, {"series", std::to_string(i % 20)}}}));
        value[i] = 20.0 + i % 20;
      }
      std::mt19937_64 rng(3);
      std::normal_distribution<double> step(0, 0.4);
      const int64_t t0 = 1'800'000'000'000;
      for (int from = 0; from < kPoints; from += static_cast<int>(seal)) {
        std::vector<StoredSample> batch;
        for (int i = 0; i < kSeries; ++i) {
          for (int q = from; q < std::min<int>(kPoints, from + static_cast<int>(seal)); ++q) {
            double v;
            if (i % 4 == 3) {
              value[i] += static_cast<double>(rng() % 50);
              v = value[i];
            } else {
              value[i] = std::clamp(value[i] + step(rng), 0.0, 100.0);
              v = std::round(value[i] * 100) / 100;
            }
            batch.push_back({ids[i], t0 + q * 10'000LL + static_cast<int64_t>(rng() % 9) - 4, v});
          }
        }
        if (!s.Append(batch).ok()) state.SkipWithError("append failed");
        // Sealed before the next round, as the age limit would.
        for (int w = 0; w < 2000 && s.Stats().head_points >= seal; ++w) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      }
    }
    CompactAll(dir.path());
    uint64_t bytes = 0;
    for (const auto& f : std::filesystem::recursive_directory_iterator(dir.path())) {
      if (f.path().extension() == ".sst") bytes += f.file_size();
    }
    state.counters["bytes_per_sample"] =
        static_cast<double>(bytes) / (static_cast<double>(kSeries) * kPoints);
  }
}
BENCHMARK(BM_SealedBytesPerSample)
    ->Args({60, 1})
    ->Args({60, 0})
    ->Args({8, 1})
    ->Args({8, 0})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rollguard::collector

BENCHMARK_MAIN();
