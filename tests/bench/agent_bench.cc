// The agent's cost per sampling interval: one pass over /proc, statvfs and the
// bot lookup, into the buffer. Run: build/tests/agent_bench
#include <benchmark/benchmark.h>
#include <unistd.h>

#include "agent/agent.h"
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

}  // namespace
}  // namespace rollguard::agent

BENCHMARK_MAIN();
