// The closed loop's reaction time inside the collector: from a faulty sample
// reaching the ingest path (stored, then seen by the rules) to its rollback
// command being queued on the host's agent stream. Everything real but the
// stream: RocksDB in a temp folder, the alerting orchestrator with a rule of
// `for: 0s`, the remediator in auto mode, the command manager storing the
// command before sending it. Each iteration is a new host (one incident per
// host), so the guardrails never hold it back.
//   build/tests/remediation_bench
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "collector/alerting/alerting.h"
#include "collector/automation/remediator.h"
#include "collector/storage/rocksdb_storage.h"
#include "tests/fakes/recording_agent_link.h"
#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

using TimedLink = rollguard::testing::RecordingAgentLink;

void BM_FaultySampleToCommandSent(benchmark::State& state) {
  spdlog::set_level(spdlog::level::off);
  rollguard::testing::TempDir dir;
  rollguard::testing::WriteTextFile(
      dir.File("rules.yaml"),
      "rules:\n  - {name: error_rate_critical, family: error_rate, metric: error_rate, "
      "op: '>', threshold: 50, severity: critical}\n");
  auto storage = std::move(*OpenRocksDbStorage(dir.File("data"), {}));
  HostRegistry registry(storage.get(), &Clock::Real());
  AlertingOptions ao;
  ao.rules_path = dir.File("rules.yaml");
  ao.notify.receivers.clear();
  ao.notify.routes.clear();
  Alerting alerting(ao, storage.get(), &registry, &Clock::Real());
  AuditLog audit(&storage->records());
  CommandManager commands(&storage->records(), &audit, &Clock::Real());
  AutomationOptions opts;
  opts.mode = AutomationMode::kAuto;
  opts.max_concurrent = 1 << 30;
  opts.breaker_percent = 100;
  Remediator remediator(opts, storage.get(), &commands, &registry, &audit, &Clock::Real(), nullptr);
  (void)remediator.Load();
  alerting.SetChangeListener([&](const AlertChange& c) { remediator.OnAlertChange(c); });
  if (!alerting.Start().ok()) {
    state.SkipWithError("alerting did not start");
    return;
  }
  TimedLink link;
  int host = 0;
  double total_us = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string id = "bot-" + std::to_string(host++);
    rollguard::v1::Hello hello;
    hello.set_host_id(id);
    (void)registry.OnConnect(hello);
    commands.OnAgentConnected(id, {"full-rollback"}, &link);
    SeriesId series = storage->Intern({"error_rate", {{"host", id}}});
    std::vector<StoredSample> sample = {{series, Clock::Real().NowMs(), 90.0}};
    state.ResumeTiming();
    auto t0 = std::chrono::steady_clock::now();
    // The ingest job's order: durable first, then the rules.
    (void)storage->Append(sample);
    alerting.Observe(sample);
    total_us += std::chrono::duration<double, std::micro>(link.last_sent_at - t0).count();
  }
  alerting.Stop();
  if (link.sent.size() != static_cast<size_t>(state.iterations())) {
    state.SkipWithError("not every faulty sample led to a command");
  }
  state.counters["sample_to_command_us"] =
      benchmark::Counter(total_us / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_FaultySampleToCommandSent)->Iterations(2000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace rollguard::collector

BENCHMARK_MAIN();
