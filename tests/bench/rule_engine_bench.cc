// The alert engine's cost on the ingest path. Run: build/tests/rule_engine_bench
// Reported per sample; "rule_evals" counts (sample, matching rule) pairs, so
// ns per rule evaluation = time / rule_evals.
#include <benchmark/benchmark.h>

#include "collector/alerting/rule_engine.h"
#include "collector/storage/rocksdb_storage.h"
#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

// 100 hosts x the headline metrics, the shipped default rules (16 rules; each
// headline metric is selected by 3 of them). `firing` puts every value over
// the critical thresholds, so every evaluation touches an active alert.
void BM_ObserveDefaultRules(benchmark::State& state) {
  const bool firing = state.range(0) != 0;
  rollguard::testing::TempDir dir;
  auto st = OpenRocksDbStorage(dir.path(), {});
  Storage& s = **st;
  FakeClock clock(absl::FromUnixMillis(1'800'000'000'000));
  RuleEngine engine(&s, &clock, EngineOptions{});
  engine.SetRules(DefaultRules());
  const char* metrics[] = {"cpu_usage",    "memory_usage", "error_rate",   "avg_response_time",
                           "mcp_downtime", "disk_usage",   "bot_memory_mb"};
  std::vector<StoredSample> batch;
  for (int h = 0; h < 100; ++h) {
    for (const char* m : metrics) {
      SeriesId id = s.Intern({m, {{"host", "bot-" + std::to_string(h)}}});
      batch.push_back({id, 0, firing ? 1000.0 : 1.0});
    }
  }
  int64_t t = clock.NowMs();
  int64_t evals = 0;
  for (auto _ : state) {
    t += 10'000;
    for (auto& x : batch) x.timestamp_ms = t;
    auto changes = engine.Observe(batch);
    benchmark::DoNotOptimize(changes);
    evals += 5 * 3 * 100;  // 5 of the 7 metrics are selected by 3 rules each
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch.size()));
  state.counters["rule_evals"] = benchmark::Counter(static_cast<double>(evals));
  state.counters["ns_per_rule_eval"] = benchmark::Counter(
      static_cast<double>(evals), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_ObserveDefaultRules)->Arg(0)->Arg(1)->ArgName("firing");

}  // namespace
}  // namespace rollguard::collector

BENCHMARK_MAIN();
