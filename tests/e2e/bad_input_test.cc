// Bad input gets a clear error naming what is wrong, and nothing already
// accepted is lost: malformed configs, and garbage on the agent stream.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "rollguard/v1/admin_service.pb.h"
#include "tests/support/fleet.h"
#include "tests/support/raw_agent.h"

namespace rollguard::testing {
namespace {

using rollguard::v1::AgentMessage;

TEST(BadInputTest, MalformedAgentConfigExitsWithFileLineAndKey) {
  TempDir dir;
  WriteTextFile(dir.File("agent.yaml"), "collector: 127.0.0.1:7700\ninterval: often\n");
  CommandResult r = RunCommand({BinPath("rollguard-agent"), "--config", dir.File("agent.yaml")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, absl::StrCat("rollguard-agent: ", dir.File("agent.yaml"),
                                ":2: interval: invalid duration 'often' (use e.g. 500ms, 10s, 5m, "
                                "2h, 30d)\n"));
}

TEST(BadInputTest, MalformedCollectorConfigExitsWithFileLineAndKey) {
  TempDir dir;
  WriteTextFile(dir.File("c.yaml"), "listen: 127.0.0.1:0\nretention: 30 days\n");
  CommandResult r = RunCommand({BinPath("rollguard-collector"), "--config", dir.File("c.yaml")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(dir.File("c.yaml") + ":2: retention: invalid duration '30 days'"),
            std::string::npos)
      << r.err;
  WriteTextFile(dir.File("c.yaml"), "listen: [oops\n");
  r = RunCommand({BinPath("rollguard-collector"), "--config", dir.File("c.yaml")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(dir.File("c.yaml") + ":"), std::string::npos) << r.err;
}

TEST(BadInputTest, BadFlagsAreRefused) {
  CommandResult r = RunCommand({BinPath("rollguard-agent"), "--collector", "nowhere"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'nowhere' is not HOST:PORT"), std::string::npos) << r.err;
  r = RunCommand({BinPath("rollguard-agent"), "--label", "no-equals-sign"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("must be key=value"), std::string::npos) << r.err;
}

TEST(BadInputTest, CollectorRefusesAFolderAnotherCollectorHolds) {
  TempDir dir;
  auto first = CollectorUnderTest::Start(dir.path(), dir.File("data"));
  ASSERT_TRUE(first.ok());
  CommandResult r = RunCommand(
      {BinPath("rollguard-collector"), "--listen", "127.0.0.1:0", "--data-dir", dir.File("data")});
  EXPECT_EQ(r.exit_code, 1);  // not a usage error: systemd may retry
  EXPECT_NE(r.err.find("is another collector using it?"), std::string::npos) << r.err;
}

TEST(BadInputTest, ASecondCollectorCannotShareAPort) {
  TempDir dir;
  const int http = PickFreeTcpPort();
  auto first = CollectorUnderTest::Start(dir.path(), dir.File("data"), 0,
                                         {"--http-listen", absl::StrCat("127.0.0.1:", http)});
  ASSERT_TRUE(first.ok());
  // Another data folder, the same gRPC port: refused, not half the traffic.
  CommandResult grpc_port =
      RunCommand({BinPath("rollguard-collector"), "--listen", (*first)->address(), "--data-dir",
                  dir.File("data2"), "--http-listen", "off"});
  EXPECT_EQ(grpc_port.exit_code, 1) << grpc_port.err;
  EXPECT_NE(grpc_port.err.find("cannot listen"), std::string::npos) << grpc_port.err;
  // The same /metrics port, set on purpose: refused too.
  CommandResult http_port =
      RunCommand({BinPath("rollguard-collector"), "--listen", "127.0.0.1:0", "--data-dir",
                  dir.File("data3"), "--http-listen", absl::StrCat("127.0.0.1:", http)});
  EXPECT_EQ(http_port.exit_code, 1) << http_port.err;
  EXPECT_NE(http_port.err.find("http_listen"), std::string::npos) << http_port.err;
}

TEST(BadInputTest, AKeyGivenTwiceIsRefusedNotHalfIgnored) {
  TempDir dir;
  WriteTextFile(dir.File("c.yaml"),
                "listen: 127.0.0.1:7700\nretention: 7d\nlisten: 0.0.0.0:7700\n");
  CommandResult r = RunCommand(
      {BinPath("rollguard-collector"), "--config", dir.File("c.yaml"), "--check-config"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(dir.File("c.yaml") + ":3: listen: given twice (first on line 1)"),
            std::string::npos)
      << r.err;
  WriteTextFile(dir.File("a.yaml"),
                "service:\n  root: .\n  command: [sleep, '1']\nservice:\n  root: /srv\n");
  CommandResult agent =
      RunCommand({BinPath("rollguard-agent"), "--config", dir.File("a.yaml"), "--check-config"});
  EXPECT_EQ(agent.exit_code, 2);
  EXPECT_NE(agent.err.find("service: given twice"), std::string::npos) << agent.err;
}

// A spool folder someone replaced with a link (to another user's files, say):
// --check-config says so before a deploy, and the agent will not start on it.
TEST(BadInputTest, ASpoolFolderThatIsALinkIsRefusedByCheckConfigAndAtStart) {
  TempDir dir;
  std::filesystem::create_directories(dir.File("elsewhere"));
  std::filesystem::create_directory_symlink(dir.File("elsewhere"), dir.File("spool"));
  WriteTextFile(dir.File("a.yaml"), "host_id: bot-1\nbuffer:\n  spool_dir: spool\n");
  CommandResult check =
      RunCommand({BinPath("rollguard-agent"), "--config", dir.File("a.yaml"), "--check-config"});
  EXPECT_EQ(check.exit_code, 2) << check.out;
  EXPECT_NE(check.err.find("spool_dir " + dir.File("spool") + ": not a folder"), std::string::npos)
      << check.err;
  CommandResult start = RunCommand(
      {BinPath("rollguard-agent"), "--config", dir.File("a.yaml"), "--collector", "127.0.0.1:1"},
      absl::Seconds(10));
  EXPECT_NE(start.exit_code, 0);
  EXPECT_NE((start.out + start.err).find("not a folder (a link or a file)"), std::string::npos)
      << start.out << start.err;
}

TEST(BadInputTest, GarbageOnTheStreamIsRefusedAndKeepsAcceptedData) {
  TempDir dir;
  auto collector = CollectorUnderTest::Start(dir.path(), dir.File("data"));
  ASSERT_TRUE(collector.ok());
  const std::string addr = (*collector)->address();
  const int64_t now = absl::ToUnixMillis(absl::Now());

  // A batch before any hello ends that stream with a reason.
  {
    RawAgentStream s(addr);
    AgentMessage batch;
    batch.mutable_batch()->set_sequence(1);
    s.Send(batch);
    grpc::Status st = s.Close();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(st.error_message(), "the first message on a stream must be a hello");
  }

  RawAgentStream s(addr);
  ASSERT_TRUE(s.SendHello("bot-1"));
  AgentMessage good;
  auto* b = good.mutable_batch();
  b->set_sequence(1);
  auto* d = b->add_new_series();
  d->set_id(1);
  d->set_metric("error_rate");
  b->add_series_ids(1);
  b->add_timestamps_ms(now);
  b->add_values(12.5);
  ASSERT_TRUE(s.Send(good));

  AgentMessage ragged;  // arrays of different lengths
  ragged.mutable_batch()->set_sequence(2);
  ragged.mutable_batch()->add_series_ids(1);
  ASSERT_TRUE(s.Send(ragged));

  AgentMessage undefined;  // a series id never defined
  undefined.mutable_batch()->set_sequence(3);
  undefined.mutable_batch()->add_series_ids(42);
  undefined.mutable_batch()->add_timestamps_ms(now);
  undefined.mutable_batch()->add_values(1);
  ASSERT_TRUE(s.Send(undefined));

  ASSERT_TRUE(WaitFor([&] { return s.accepted().size() == 1 && s.rejected().size() == 2; },
                      absl::Seconds(10)));
  EXPECT_EQ(s.rejected().at(2),
            "batch 2: series_ids, timestamps_ms and values must have equal lengths (got 1, 0, 0)");
  EXPECT_EQ(s.rejected().at(3),
            "batch 3: sample 0 uses series id 42, never defined on this stream");
  EXPECT_FALSE(s.ended());  // rejected batches do not end the stream

  // An oversized message (over the collector's 4 MB max_message_kb) ends the
  // stream...
  AgentMessage huge;
  huge.mutable_hello()->set_host_id(std::string(5 * 1024 * 1024, 'x'));
  s.Send(huge);
  grpc::Status st = s.Close();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();

  // ...but the collector is still up and kept what it acknowledged.
  EXPECT_TRUE((*collector)->process().running());
  rollguard::v1::QueryHistoryResponse hist;
  absl::Status q = RunCliJson(addr, {"history", "bot-1", "error_rate"}, &hist);
  ASSERT_TRUE(q.ok()) << q;
  ASSERT_EQ(hist.series(0).points_size(), 1);
  EXPECT_EQ(hist.series(0).points(0).value(), 12.5);
}

}  // namespace
}  // namespace rollguard::testing
