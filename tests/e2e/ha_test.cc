// High availability with real processes: one etcd (Debian's etcd-server),
// two collectors, agents streaming to both, the CLI given both addresses.
// One leads; a write sent to the follower is refused and the CLI moves on
// to the leader; kill -9 the leader and the follower leads and dispatches;
// a leader paused past its lease wakes up following and sends nothing; etcd
// gone stops the leader from acting while both keep storing samples.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "rollguard/v1/admin_service.pb.h"
#include "tests/support/etcd.h"
#include "tests/support/fleet.h"
#include "tests/support/http_receiver.h"

namespace rollguard::testing {
namespace {

namespace fs = std::filesystem;
using rollguard::v1::HaStatus;
using rollguard::v1::RolloutStatus;

class HaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = EtcdUnderTest::Start(dir_.path());
    ASSERT_TRUE(e.ok()) << e.status();
    etcd_ = std::move(*e);
    a_ = StartMember("a");
    ASSERT_TRUE(a_);
    // a leads before b exists: which member leads is then known.
    ASSERT_TRUE(WaitFor([&] { return Leader(a_->address()) == "a"; }, absl::Seconds(10)));
    b_ = StartMember("b");
    ASSERT_TRUE(b_);
  }

  virtual std::string ExtraConfig() { return ""; }

  std::unique_ptr<CollectorUnderTest> StartMember(const std::string& name) {
    std::string work = dir_.File(name);
    fs::create_directories(work);
    WriteTextFile(work + "/collector.yaml",
                  absl::StrCat("ha:\n  etcd: [", etcd_->url(), "]\n  ttl: ", kTtlSeconds,
                               "s\n  member: ", name, "\n", ExtraConfig()));
    auto c =
        CollectorUnderTest::Start(work, work + "/data", 0, {"--config", work + "/collector.yaml"});
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // An agent streaming to `collectors` whose full-rollback appends a line
  // to `ran` (one per run), then sleeps `seconds`.
  void AddHost(const std::string& host, const std::string& collectors,
               const std::string& seconds = "0") {
    std::string root = dir_.File("root-" + host);
    fs::create_directories(root);
    auto agent =
        StartAgent(dir_.path(), collectors, host,
                   absl::StrCat("service:\n  root: root-", host,
                                "\n  command: [/bin/sleep, '60']\n", "state_dir: state-", host,
                                "\nplaybooks:\n  full-rollback:\n    steps:\n"
                                "      - run: {command: [/bin/sh, -c, 'echo ran >> ran; sleep ",
                                seconds, "'], timeout: 10s}\n"));
    ASSERT_TRUE(agent.ok()) << agent.status();
    agents_[host] = std::move(*agent);
  }
  int Runs(const std::string& host) {
    return CountOccurrences(ReadTextFile(dir_.File("root-" + host + "/ran")), "ran");
  }
  int64_t FencedEpoch(const std::string& host) {
    int64_t epoch = 0;
    if (!absl::SimpleAtoi(ReadTextFile(dir_.File("state-" + host + "/leader_epoch")), &epoch)) {
      return -1;
    }
    return epoch;
  }

  // The leader as `collector` reports it ("" when none, or unreachable).
  std::string Leader(const std::string& collector, HaStatus* out = nullptr) {
    HaStatus status;
    if (!RunCliJson(collector, {"ha", "status"}, &status).ok()) return "";
    if (out != nullptr) *out = status;
    return status.leader();
  }
  std::string Both() const { return absl::StrCat(a_->address(), ",", b_->address()); }
  // Points of `host`'s memory_usage the collector has stored.
  int Points(const std::string& collector, const std::string& host) {
    CommandResult r = RunCli(collector, {"history", host, "memory_usage", "--since", "10m"});
    return r.exit_code == 0 ? CountOccurrences(r.out, "\n") : 0;
  }

  static constexpr int kTtlSeconds = 2;
  TempDir dir_;
  std::unique_ptr<EtcdUnderTest> etcd_;
  std::unique_ptr<CollectorUnderTest> a_, b_;
  std::map<std::string, std::unique_ptr<ChildProcess>> agents_;
};

TEST_F(HaTest, OneLeadsWritesReachItAndAKilledLeaderIsReplacedWithAHigherEpoch) {
  AddHost("h1", Both());
  // Every sample reaches both members.
  ASSERT_TRUE(WaitUntilReporting(a_->address(), "h1"));
  ASSERT_TRUE(WaitUntilReporting(b_->address(), "h1"));

  HaStatus status;
  ASSERT_EQ(Leader(Both(), &status), "a");
  EXPECT_EQ(status.members_size(), 2);
  EXPECT_GT(status.epoch(), 0);
  const int64_t first_epoch = status.epoch();

  // The follower alone refuses a write and names the leader.
  CommandResult refused = RunCli(b_->address(), {"rollback", "full-rollback", "--host", "h1"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("not the leader"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("a at " + a_->address()), std::string::npos) << refused.err;
  EXPECT_EQ(Runs("h1"), 0);

  // Given both (follower first), the CLI's write reaches the leader.
  std::string b_first = absl::StrCat(b_->address(), ",", a_->address());
  RolloutStatus done;
  ASSERT_TRUE(
      RunCliJson(b_first, {"rollback", "full-rollback", "--host", "h1", "--wait"}, &done).ok());
  EXPECT_EQ(done.rollout().state(), "succeeded");
  EXPECT_EQ(Runs("h1"), 1);
  EXPECT_EQ(FencedEpoch("h1"), first_epoch);

  // kill -9 the leader: b leads once a's lease runs out.
  a_->process().Signal(SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return Leader(b_->address(), &status) == "b"; }, absl::Seconds(20)));
  EXPECT_GT(status.epoch(), first_epoch);
  // And dispatches: the CLI, still given both, finds it.
  ASSERT_TRUE(
      RunCliJson(Both(), {"rollback", "full-rollback", "--host", "h1", "--wait"}, &done).ok());
  EXPECT_EQ(done.rollout().state(), "succeeded");
  EXPECT_EQ(Runs("h1"), 2);
  EXPECT_EQ(FencedEpoch("h1"), status.epoch());
  // The survivor kept h1's history through the failover.
  const int before = Points(b_->address(), "h1");
  ASSERT_TRUE(WaitFor([&] { return Points(b_->address(), "h1") > before; }, absl::Seconds(10)));
}

// The first test: kill -9 the leader in the middle of a 10-host
// rollout. The follower leads within the lease, takes the rollout from etcd
// and finishes it; every host ran its command exactly once (counted on the
// hosts); the survivor's history of a host has no gap across the failover.
TEST_F(HaTest, ALeaderKilledMidRolloutLeavesItToTheFollowerAndNothingRunsTwice) {
  std::vector<std::string> hosts;
  for (int i = 0; i < 10; ++i) {
    hosts.push_back(absl::StrCat("r", i));
    AddHost(hosts.back(), Both(), /*seconds=*/"0.8");
  }
  for (const std::string& h : hosts) ASSERT_TRUE(WaitUntilReporting(b_->address(), h));
  std::vector<std::string> args = {"rollback", "full-rollback", "--max-parallel", "2", "--yes"};
  for (const std::string& h : hosts) {
    args.push_back("--host");
    args.push_back(h);
  }
  rollguard::v1::Rollout started;
  ASSERT_TRUE(RunCliJson(a_->address(), args, &started).ok());
  // A wave or two in, the leader dies.
  ASSERT_TRUE(WaitFor(
      [&] {
        int ran = 0;
        for (const std::string& h : hosts) ran += Runs(h);
        return ran >= 3;
      },
      absl::Seconds(20)));
  const int64_t killed_ms = absl::ToUnixMillis(absl::Now());
  a_->process().Signal(SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return Leader(b_->address()) == "b"; }, absl::Seconds(20)));
  RolloutStatus status;
  ASSERT_TRUE(WaitFor(
      [&] {
        return RunCliJson(b_->address(), {"rollout", started.id()}, &status).ok() &&
               status.rollout().state() != "running";
      },
      absl::Seconds(60)))
      << status.DebugString() << b_->process().Log();
  EXPECT_EQ(status.rollout().state(), "succeeded") << status.DebugString();
  for (const std::string& h : hosts) EXPECT_EQ(Runs(h), 1) << h;
  // No gap in r0's history on the survivor around the kill (agents sample
  // every 200 ms; a gap would be the whole failover).
  rollguard::v1::QueryHistoryResponse history;
  ASSERT_TRUE(
      RunCliJson(b_->address(), {"history", "r0", "memory_usage", "--since", "5m"}, &history).ok());
  ASSERT_EQ(history.series_size(), 1);
  int64_t previous = 0, around_kill = 0;
  for (const auto& p : history.series(0).points()) {
    if (previous != 0 && p.timestamp_ms() > killed_ms - 5000) {
      EXPECT_LT(p.timestamp_ms() - previous, 1000) << "gap before " << p.timestamp_ms();
      ++around_kill;
    }
    previous = p.timestamp_ms();
  }
  EXPECT_GT(around_kill, 20);
}

// The second test: SIGSTOP the leader past its lease; the follower
// takes over and dispatches; SIGCONT the old one: it steps down and sends
// nothing, though it holds the same queued command and the host is
// connected to it. The command ran once, at the new leader's epoch.
TEST_F(HaTest, ALeaderPausedPastItsLeaseWakesUpFollowingAndSendsNothing) {
  // h2 is away when a queues a command for it.
  AddHost("h2", Both());
  ASSERT_TRUE(WaitUntilReporting(a_->address(), "h2"));
  agents_["h2"]->Signal(SIGTERM);
  ASSERT_TRUE(agents_["h2"]->Wait(absl::Seconds(10)).has_value());
  CommandResult queued =
      RunCli(a_->address(), {"rollback", "full-rollback", "--host", "h2", "--yes"});
  ASSERT_EQ(queued.exit_code, 0) << queued.out << queued.err;

  a_->process().Signal(SIGSTOP);
  HaStatus status;
  ASSERT_TRUE(WaitFor([&] { return Leader(b_->address(), &status) == "b"; }, absl::Seconds(20)));
  // h2 comes back to both: b (which took a's queued command from etcd)
  // sends it; a, paused, cannot.
  AddHost("h2", Both());
  ASSERT_TRUE(WaitFor([&] { return Runs("h2") == 1; }, absl::Seconds(15))) << b_->process().Log();
  EXPECT_EQ(FencedEpoch("h2"), status.epoch());
  a_->process().Signal(SIGCONT);
  ASSERT_TRUE(WaitFor(
      [&] { return a_->process().Log().find("member 'a' stops leading") != std::string::npos; },
      absl::Seconds(10)))
      << a_->process().Log();
  // a follows now: the command it holds as queued is not sent again.
  absl::SleepFor(absl::Seconds(2));
  EXPECT_EQ(Runs("h2"), 1);
  EXPECT_EQ(Leader(a_->address()), "b");
  CommandResult refused = RunCli(a_->address(), {"silence", "add", "--host", "h2", "--for", "1h"});
  EXPECT_NE(refused.err.find("not the leader"), std::string::npos) << refused.err;
}

// The fence on a real agent: one that has already seen a later epoch (as
// after a failover the deposed leader never heard of) runs nothing a lower
// epoch sends, and answers nothing (a final answer would end the real
// leader's copy of the same command).
TEST_F(HaTest, AnAgentThatHasSeenALaterEpochRunsNothingFromALowerOne) {
  AddHost("h4", Both());
  ASSERT_TRUE(WaitUntilReporting(a_->address(), "h4"));
  HaStatus status;
  ASSERT_EQ(Leader(Both(), &status), "a");
  agents_["h4"]->Signal(SIGTERM);
  ASSERT_TRUE(agents_["h4"]->Wait(absl::Seconds(10)).has_value());
  WriteTextFile(dir_.File("state-h4/leader_epoch"), absl::StrCat(status.epoch() + 1000, "\n"));
  AddHost("h4", Both());
  rollguard::v1::Rollout started;
  ASSERT_TRUE(
      RunCliJson(Both(), {"rollback", "full-rollback", "--host", "h4", "--yes"}, &started).ok());
  const std::string log = dir_.File("agent-h4.log");
  ASSERT_TRUE(WaitFor(
      [&] {
        return ReadTextFile(log).find("sent by a collector that no longer leads") !=
               std::string::npos;
      },
      absl::Seconds(15)))
      << ReadTextFile(log);
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(Runs("h4"), 0);
  EXPECT_EQ(FencedEpoch("h4"), status.epoch() + 1000);
  RolloutStatus now;
  ASSERT_TRUE(RunCliJson(Both(), {"rollout", started.id()}, &now).ok());
  EXPECT_EQ(now.rollout().state(), "running");  // no answer: nothing final
}

TEST_F(HaTest, WithoutEtcdNobodyActsAndBothKeepStoring) {
  AddHost("h3", Both());
  ASSERT_TRUE(WaitUntilReporting(a_->address(), "h3"));
  ASSERT_TRUE(WaitUntilReporting(b_->address(), "h3"));
  etcd_->process().Signal(SIGSTOP);
  // The leader stops acting before its lease could have run out at etcd.
  ASSERT_TRUE(WaitFor(
      [&] {
        CommandResult r = RunCli(a_->address(), {"silence", "add", "--host", "h3", "--for", "1h"});
        return r.err.find("not the leader") != std::string::npos;
      },
      absl::Seconds(kTtlSeconds + 3)));
  const int a_before = Points(a_->address(), "h3");
  const int b_before = Points(b_->address(), "h3");
  EXPECT_TRUE(WaitFor([&] { return Points(a_->address(), "h3") > a_before; }, absl::Seconds(10)));
  EXPECT_TRUE(WaitFor([&] { return Points(b_->address(), "h3") > b_before; }, absl::Seconds(10)));
  etcd_->process().Signal(SIGCONT);
  // Back: someone leads and writes go through again.
  EXPECT_TRUE(WaitFor(
      [&] {
        return RunCli(Both(), {"silence", "add", "--host", "h3", "--for", "1h"}).exit_code == 0;
      },
      absl::Seconds(15)));
}

// Notices across a failover: one receiver counts what both members send.
class HaAlertTest : public HaTest {
 protected:
  std::string ExtraConfig() override {
    WriteTextFile(dir_.File("rules.yaml"),
                  "rules:\n  - {name: disk_seen, metric: disk_usage, op: '>=', threshold: 0, "
                  "severity: warning}\n");
    return absl::StrCat("alerting:\n  rules: ", dir_.File("rules.yaml"),
                        "\n  receivers:\n    - {name: hook, type: webhook, url: '",
                        receiver_.base(), "/hook'}\n  routes:\n    - {receivers: [hook]}\n");
  }
  int Notices(const std::string& host) {
    int n = 0;
    for (const std::string& body : receiver_.Bodies("/hook")) {
      n += body.find("\"" + host + "\"") != std::string::npos;
    }
    return n;
  }
  HttpReceiver receiver_;
};

// The third test: an alert the old leader notified is not notified
// again by the new one, and one that fired while nobody led is notified
// once, by the new leader.
TEST_F(HaAlertTest, EachFiringAlertIsNotifiedExactlyOnceAcrossAFailover) {
  AddHost("early", Both());
  ASSERT_TRUE(WaitFor([&] { return Notices("early") == 1; }, absl::Seconds(15)));
  a_->process().Signal(SIGKILL);
  // While a's lease runs out nobody leads: "late" fires on b, unannounced.
  AddHost("late", b_->address());
  ASSERT_TRUE(WaitUntilReporting(b_->address(), "late"));
  ASSERT_TRUE(WaitFor([&] { return Leader(b_->address()) == "b"; }, absl::Seconds(20)));
  EXPECT_TRUE(WaitFor([&] { return Notices("late") == 1; }, absl::Seconds(10)));
  // Both alerts keep firing; the cooldown (5 min) is far off: nothing more.
  absl::SleepFor(absl::Seconds(3));
  EXPECT_EQ(Notices("early"), 1) << b_->process().Log();
  EXPECT_EQ(Notices("late"), 1);
}

// etcd over https with client-certificate auth (ha.tls): a collector with
// the certificate leads; one without it is refused by etcd, says so in
// `ha status`, and never acts.
TEST(HaTlsTest, EtcdWithClientCertificatesTakesOnlyCollectorsThatHaveOne) {
  TempDir dir;
  ASSERT_EQ(RunCommand({BinPath("rollguard"), "pki", "init", "--dir", dir.File("pki")}).exit_code,
            0);
  ASSERT_EQ(
      RunCommand({BinPath("rollguard"), "pki", "agent", "collector-a", "--dir", dir.File("pki")})
          .exit_code,
      0);
  EtcdTls tls{dir.File("pki/ca.crt"), dir.File("pki/collector.crt"), dir.File("pki/collector.key"),
              dir.File("pki/agents/collector-a.crt"), dir.File("pki/agents/collector-a.key")};
  auto etcd = EtcdUnderTest::Start(dir.path(), &tls);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  auto member = [&](const std::string& name, bool with_cert) {
    std::string work = dir.File(name);
    fs::create_directories(work);
    WriteTextFile(work + "/collector.yaml",
                  absl::StrCat("ha:\n  etcd: [", (*etcd)->url(), "]\n  ttl: 2s\n  member: ", name,
                               "\n  tls:\n    ca: ", tls.ca, "\n",
                               with_cert ? absl::StrCat("    cert: ", tls.client_cert,
                                                        "\n    key: ", tls.client_key, "\n")
                                         : ""));
    return CollectorUnderTest::Start(work, work + "/data", 0,
                                     {"--config", work + "/collector.yaml"});
  };
  auto a = member("a", true);
  ASSERT_TRUE(a.ok()) << a.status();
  HaStatus status;
  ASSERT_TRUE(WaitFor(
      [&] {
        return RunCliJson((*a)->address(), {"ha", "status"}, &status).ok() &&
               status.leader() == "a";
      },
      absl::Seconds(10)))
      << (*a)->process().Log();
  auto b = member("b", false);
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_TRUE(RunCliJson((*b)->address(), {"ha", "status"}, &status).ok());
  EXPECT_NE(status.etcd_error(), "");
  CommandResult text = RunCli((*b)->address(), {"ha", "status"});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("etcd UNREACHABLE from member b"), std::string::npos) << text.out;
  // b never acts: it refuses writes and sends nothing.
  CommandResult refused = RunCli((*b)->address(), {"silence", "add", "--host", "x", "--for", "1h"});
  EXPECT_NE(refused.err.find("not the leader"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace rollguard::testing
