// The spine as a user meets it: a collector and an agent watching a real bot
// process, then `rollguard hosts` and `rollguard history`.
#include <gtest/gtest.h>
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "rollguard/v1/admin_service.pb.h"
#include "tests/support/fleet.h"

namespace rollguard::testing {
namespace {

using rollguard::v1::ListHostsResponse;
using rollguard::v1::QueryHistoryResponse;

TEST(SpineTest, HostsAndHistoryShowLiveDataOfARealBot) {
  TempDir dir;
  auto collector = CollectorUnderTest::Start(dir.path(), dir.File("data"));
  ASSERT_TRUE(collector.ok()) << collector.status();
  const std::string addr = (*collector)->address();

  auto bot = ChildProcess::Start({"/bin/sleep", "300"}, dir.File("bot.log"));
  ASSERT_TRUE(bot.ok());
  WriteTextFile(dir.File("bot.pid"), std::to_string((*bot)->pid()));
  auto agent =
      StartAgent(dir.path(), addr, "bot-1",
                 absl::StrCat("labels: {env: test}\nbot:\n  pidfile: ", dir.File("bot.pid"), "\n"));
  ASSERT_TRUE(agent.ok());

  ListHostsResponse hosts;
  ASSERT_TRUE(WaitFor(
      [&] {
        hosts.Clear();
        return RunCliJson(addr, {"hosts"}, &hosts).ok() && hosts.hosts_size() == 1 &&
               hosts.hosts(0).has_cpu_usage() && hosts.hosts(0).has_bot_up();
      },
      absl::Seconds(15)))
      << hosts.DebugString() << (*collector)->process().Log();
  const auto& h = hosts.hosts(0);
  EXPECT_EQ(h.host_id(), "bot-1");
  EXPECT_TRUE(h.connected());
  EXPECT_EQ(h.labels().at("env"), "test");
  EXPECT_TRUE(h.bot_up());
  EXPECT_GT(h.bot_memory_mb(), 0.0);
  EXPECT_GE(h.memory_usage(), 0.0);
  EXPECT_LE(h.memory_usage(), 100.0);

  // The table a person reads.
  CommandResult table = RunCli(addr, {"hosts"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("bot-1"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("connected"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("1 host(s), 1 connected"), std::string::npos) << table.out;

  // History grows as the agent keeps sampling.
  QueryHistoryResponse hist;
  ASSERT_TRUE(WaitFor(
      [&] {
        hist.Clear();
        return RunCliJson(addr, {"history", "bot-1", "memory_usage", "--since", "5m"}, &hist)
                   .ok() &&
               hist.series_size() == 1 && hist.series(0).points_size() >= 5;
      },
      absl::Seconds(15)));
  EXPECT_EQ(hist.series(0).labels().at("host"), "bot-1");
  int64_t prev = 0;
  for (const auto& p : hist.series(0).points()) {
    EXPECT_GT(p.timestamp_ms(), prev);
    prev = p.timestamp_ms();
  }

  // The bot dies: bot_up goes to 0.
  (*bot)->Signal(SIGKILL);
  (*bot)->Wait(absl::Seconds(5));
  EXPECT_TRUE(WaitFor(
      [&] {
        hosts.Clear();
        return RunCliJson(addr, {"hosts"}, &hosts).ok() && hosts.hosts_size() == 1 &&
               hosts.hosts(0).has_bot_up() && !hosts.hosts(0).bot_up();
      },
      absl::Seconds(10)));

  // The agent stops cleanly on SIGTERM and the host shows offline.
  (*agent)->Signal(SIGTERM);
  EXPECT_EQ((*agent)->Wait(absl::Seconds(10)), 0);
  EXPECT_TRUE(WaitFor(
      [&] {
        hosts.Clear();
        return RunCliJson(addr, {"hosts"}, &hosts).ok() && !hosts.hosts(0).connected();
      },
      absl::Seconds(10)));
  (*collector)->process().Signal(SIGTERM);
  EXPECT_EQ((*collector)->process().Wait(absl::Seconds(10)), 0);
}

TEST(SpineTest, StorageShowsWhatTheEngineHoldsAndSealed) {
  TempDir dir;
  auto collector = CollectorUnderTest::Start(dir.path(), dir.File("data"));
  ASSERT_TRUE(collector.ok()) << collector.status();
  const std::string addr = (*collector)->address();
  // 2 simulated agents x 10 series x 150 points over real streams: every
  // head passes 120 points and is sealed.
  CommandResult load =
      RunCommand({BinPath("rollguard-loadgen"), "--collector", addr, "--agents", "2",
                  "--series-per-agent", "10", "--points", "150", "--samples-per-batch", "100"});
  ASSERT_EQ(load.exit_code, 0) << load.err;
  rollguard::v1::StorageStats stats;
  ASSERT_TRUE(WaitFor(
      [&] {
        stats.Clear();
        return RunCliJson(addr, {"storage"}, &stats).ok() && stats.points_sealed() == 3000;
      },
      absl::Seconds(10)))
      << stats.DebugString();
  EXPECT_EQ(stats.head_points(), 0u);
  EXPECT_EQ(stats.series(), 20u);
  EXPECT_GE(stats.chunks_written(), 20u);
  EXPECT_EQ(stats.head_points_limit(), 16'000'000u);
  EXPECT_GT(stats.memtable_bytes(), 0u);
  CommandResult table = RunCli(addr, {"storage"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("3000 points into"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("of the 16000000-point limit"), std::string::npos) << table.out;
}

TEST(SpineTest, CliErrorsAreOneLineAndNonZero) {
  TempDir dir;
  auto collector = CollectorUnderTest::Start(dir.path(), dir.File("data"));
  ASSERT_TRUE(collector.ok()) << collector.status();
  const std::string addr = (*collector)->address();
  auto agent = StartAgent(dir.path(), addr, "bot-1");
  ASSERT_TRUE(agent.ok());
  ASSERT_TRUE(WaitUntilReporting(addr, "bot-1"));

  CommandResult unknown_host = RunCli(addr, {"history", "bot-9", "cpu_usage"});
  EXPECT_EQ(unknown_host.exit_code, 1);
  EXPECT_EQ(unknown_host.err, "rollguard: unknown host 'bot-9' (known: bot-1)\n");

  CommandResult unknown_metric = RunCli(addr, {"history", "bot-1", "error_rate"});
  EXPECT_EQ(unknown_metric.exit_code, 1);
  EXPECT_EQ(
      unknown_metric.err.rfind("rollguard: host 'bot-1' has no metric 'error_rate' (has: ", 0), 0u)
      << unknown_metric.err;

  CommandResult bad_since = RunCli(addr, {"history", "bot-1", "cpu_usage", "--since", "soon"});
  EXPECT_EQ(bad_since.exit_code, 2);
  EXPECT_NE(bad_since.err.find("--since: invalid time 'soon'"), std::string::npos);

  CommandResult unreachable = RunCli("127.0.0.1:1", {"--timeout", "2s", "hosts"});
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_NE(unreachable.err.find("cannot reach the collector at 127.0.0.1:1"), std::string::npos)
      << unreachable.err;
  EXPECT_EQ(std::count(unreachable.err.begin(), unreachable.err.end(), '\n'), 1);

  CommandResult bad_output = RunCli(addr, {"-o", "yaml", "hosts"});
  EXPECT_NE(bad_output.exit_code, 0);

  // Global options also work after the command, as people type them.
  CommandResult after =
      RunCommand({BinPath("rollguard"), "hosts", "-o", "json", "--collector", addr});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_NE(after.out.find("\"hostId\": \"bot-1\""), std::string::npos) << after.out;
}

}  // namespace
}  // namespace rollguard::testing
