// How the programs behave as systemd runs them and as scripts call them:
// Type=notify readiness, reload and stop; journald priorities; usage exit
// codes; --check-config; the generated bash completion.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/fleet.h"

namespace rollguard::testing {
namespace {

// A NOTIFY_SOCKET like systemd's: a unix datagram socket the test reads.
class FakeServiceManager {
 public:
  explicit FakeServiceManager(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    bound_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{0, 200'000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setenv("NOTIFY_SOCKET", path.c_str(), 1);  // inherited by the child started next
  }
  ~FakeServiceManager() {
    unsetenv("NOTIFY_SOCKET");
    if (fd_ >= 0) close(fd_);
  }
  bool bound() const { return bound_; }

  // Waits up to `timeout` for a datagram containing `what`; earlier ones are
  // kept in received() for the order checks.
  bool WaitForMessage(const std::string& what, absl::Duration timeout) {
    return WaitFor(
        [&] {
          char buf[512];
          ssize_t n = recv(fd_, buf, sizeof(buf), 0);
          if (n > 0) received_.push_back(std::string(buf, static_cast<size_t>(n)));
          return !received_.empty() && received_.back().find(what) != std::string::npos;
        },
        timeout);
  }
  const std::vector<std::string>& received() const { return received_; }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
  std::vector<std::string> received_;
};

TEST(DeployTest, CollectorTellsSystemdWhenItServesReloadsAndStops) {
  TempDir dir;
  FakeServiceManager manager(dir.File("notify"));
  ASSERT_TRUE(manager.bound());
  auto c = CollectorUnderTest::Start(dir.path(), dir.File("data"));
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(manager.WaitForMessage("READY=1", absl::Seconds(10)));
  // Ready means serving: the CLI gets an answer at once.
  EXPECT_EQ(RunCli((*c)->address(), {"hosts"}).exit_code, 0);

  (*c)->process().Signal(SIGHUP);
  ASSERT_TRUE(manager.WaitForMessage("READY=1", absl::Seconds(10)));
  ASSERT_GE(manager.received().size(), 3u);
  EXPECT_EQ(manager.received()[manager.received().size() - 2], "RELOADING=1");

  (*c)->process().Signal(SIGTERM);
  EXPECT_TRUE(manager.WaitForMessage("STOPPING=1", absl::Seconds(10)));
  EXPECT_EQ((*c)->process().Wait(absl::Seconds(20)), 0);
}

TEST(DeployTest, AgentTellsSystemdWhenItRuns) {
  TempDir dir;
  auto c = CollectorUnderTest::Start(dir.path(), dir.File("data"));
  ASSERT_TRUE(c.ok()) << c.status();
  FakeServiceManager manager(dir.File("notify"));
  ASSERT_TRUE(manager.bound());
  auto agent = ChildProcess::Start({BinPath("rollguard-agent"), "--collector", (*c)->address(),
                                    "--host-id", "notify-1", "--statsd-listen", "off"},
                                   dir.File("agent.log"));
  ASSERT_TRUE(agent.ok());
  EXPECT_TRUE(manager.WaitForMessage("READY=1", absl::Seconds(10))) << (*agent)->Log();
  (*agent)->Signal(SIGTERM);
  EXPECT_TRUE(manager.WaitForMessage("STOPPING=1", absl::Seconds(10)));
  EXPECT_EQ((*agent)->Wait(absl::Seconds(20)), 0);
}

TEST(DeployTest, UnderJournaldEachLineCarriesItsPriority) {
  TempDir dir;
  const std::string log = dir.File("agent.log");
  WriteTextFile(log, "");
  struct stat st {};
  ASSERT_EQ(stat(log.c_str(), &st), 0);
  // What systemd sets when stderr is the journal: the stream's device:inode.
  setenv("JOURNAL_STREAM", absl::StrCat(st.st_dev, ":", st.st_ino).c_str(), 1);
  auto agent = ChildProcess::Start({BinPath("rollguard-agent"), "--collector", "127.0.0.1:1",
                                    "--host-id", "journal-1", "--statsd-listen", "off"},
                                   log);
  unsetenv("JOURNAL_STREAM");
  ASSERT_TRUE(agent.ok());
  // Info lines are "<6>", the failing connection's warning "<4>"; no time
  // stamps (the journal has its own).
  EXPECT_TRUE(WaitFor(
      [&] {
        return ReadTextFile(log).find("<4>[agent] collector 127.0.0.1:1: stream ended") !=
               std::string::npos;
      },
      absl::Seconds(15)))
      << ReadTextFile(log);
  const std::string text = ReadTextFile(log);
  EXPECT_NE(text.find("<6>[agent] agent "), std::string::npos) << text;  // "starting"
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(line.size() > 3 && line[0] == '<' && line[2] == '>') << line;
  }
  (*agent)->Signal(SIGTERM);
  (*agent)->Wait(absl::Seconds(20));

  // Elsewhere (a terminal, a file) the variable alone changes nothing.
  setenv("JOURNAL_STREAM", "1:2", 1);
  CommandResult plain = RunCommand({BinPath("rollguard-collector"), "--listen", "127.0.0.1:0",
                                    "--data-dir", dir.File("data"), "--retention", "nonsense"});
  unsetenv("JOURNAL_STREAM");
  EXPECT_EQ(plain.err.find("<"), std::string::npos) << plain.err;
}

TEST(DeployTest, UsageErrorsExitTwoNamingTheFlag) {
  for (const char* bin : {"rollguard", "rollguard-collector", "rollguard-agent"}) {
    CommandResult r = std::string(bin) == "rollguard"
                          ? RunCommand({BinPath(bin), "hosts", "--no-such-flag"})
                          : RunCommand({BinPath(bin), "--no-such-flag"});
    EXPECT_EQ(r.exit_code, 2) << bin << ": " << r.err;
    EXPECT_NE(r.err.find("--no-such-flag"), std::string::npos) << bin << ": " << r.err;
    CommandResult help = RunCommand({BinPath(bin), "--help"});
    EXPECT_EQ(help.exit_code, 0) << bin;
  }
  CommandResult missing_value = RunCommand({BinPath("rollguard"), "hosts", "--collector"});
  EXPECT_EQ(missing_value.exit_code, 2) << missing_value.err;
  CommandResult no_subcommand = RunCommand({BinPath("rollguard")});
  EXPECT_EQ(no_subcommand.exit_code, 2) << no_subcommand.err;
}

TEST(DeployTest, HelpGroupsEverySubcommandWithExamples) {
  CommandResult help = RunCommand({BinPath("rollguard"), "--help"});
  ASSERT_EQ(help.exit_code, 0);
  for (const char* group : {"Fleet:", "Alerts:", "Rollbacks:", "Incidents:", "Admin:"}) {
    EXPECT_NE(help.out.find(group), std::string::npos) << group << "\n" << help.out;
  }
  EXPECT_EQ(help.out.find("Other:"), std::string::npos) << "a subcommand has no group\n"
                                                        << help.out;
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
  EXPECT_NE(help.out.find("Exit codes:"), std::string::npos);
}

TEST(DeployTest, CheckConfigValidatesWithoutStarting) {
  TempDir dir;
  WriteTextFile(dir.File("c.yaml"),
                absl::StrCat("listen: 127.0.0.1:0\ndata_dir: ", dir.File("data"),
                             "\nalerting:\n  rules: rules.yaml\n"));
  WriteTextFile(
      dir.File("rules.yaml"),
      "rules:\n  - {name: hot, metric: cpu_usage, op: \">\", threshold: 90, severity: warning}\n");
  CommandResult ok = RunCommand(
      {BinPath("rollguard-collector"), "--config", dir.File("c.yaml"), "--check-config"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("config OK"), std::string::npos) << ok.out;
  EXPECT_FALSE(std::filesystem::exists(dir.File("data")));  // nothing opened

  WriteTextFile(dir.File("rules.yaml"),
                "rules:\n  - {name: hot, metric: cpu_usage, op: \">>>\", threshold: 90, severity: "
                "warning}\n");
  CommandResult bad_rules = RunCommand(
      {BinPath("rollguard-collector"), "--config", dir.File("c.yaml"), "--check-config"});
  EXPECT_EQ(bad_rules.exit_code, 2);
  EXPECT_NE(bad_rules.err.find(dir.File("rules.yaml") + ":"), std::string::npos) << bad_rules.err;

  WriteTextFile(dir.File("a.yaml"), "collector: 127.0.0.1:7700\nintervall: 10s\n");
  CommandResult bad_agent =
      RunCommand({BinPath("rollguard-agent"), "--config", dir.File("a.yaml"), "--check-config"});
  EXPECT_EQ(bad_agent.exit_code, 2);
  EXPECT_NE(bad_agent.err.find(dir.File("a.yaml") + ":2:"), std::string::npos) << bad_agent.err;

  CommandResult demo =
      RunCommand({BinPath("rollguard-agent"), "--config",
                  SourcePath("deploy/examples/sportsbot/agent.yaml"), "--check-config"});
  EXPECT_EQ(demo.exit_code, 0) << demo.err;
  EXPECT_NE(demo.out.find("playbooks: "), std::string::npos) << demo.out;
}

TEST(DeployTest, StateDirectoryFromSystemdIsTheAgentsDefaultStateDir) {
  TempDir dir;
  WriteTextFile(dir.File("a.yaml"),
                absl::StrCat("service:\n  root: ", dir.path(),
                             "\n  command: [sleep, '60']\nplaybooks:\n  restart:\n    steps:\n"
                             "      - stop_service:\n      - start_service:\n"));
  setenv("STATE_DIRECTORY", "/var/lib/rollguard-agent:/var/lib/other", 1);
  CommandResult r =
      RunCommand({BinPath("rollguard-agent"), "--config", dir.File("a.yaml"), "--check-config"});
  unsetenv("STATE_DIRECTORY");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("state_dir: /var/lib/rollguard-agent\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("warning"), std::string::npos) << r.out;
}

TEST(DeployTest, BashCompletionCompletesSubcommandsAndOptions) {
  TempDir dir;
  CommandResult script = RunCommand({BinPath("rollguard"), "completion", "bash"});
  ASSERT_EQ(script.exit_code, 0);
  WriteTextFile(dir.File("rollguard.bash"), script.out);
  auto complete = [&](const std::string& words, int cword) {
    return RunCommand(
               {"/bin/bash", "-c",
                absl::StrCat("source ", dir.File("rollguard.bash"), "; COMP_WORDS=(", words,
                             "); COMP_CWORD=", cword, "; _rollguard; echo \"${COMPREPLY[*]}\"")})
        .out;
  };
  EXPECT_EQ(complete("rollguard sil", 1), "silence\n");
  EXPECT_EQ(complete("rollguard silence a", 2), "add\n");
  EXPECT_EQ(complete("rollguard -o json pki ag", 4), "agent\n");
  EXPECT_NE(complete("rollguard rollback --max", 2).find("--max-parallel"), std::string::npos);
  // Global options apply after a subcommand too.
  EXPECT_NE(complete("rollguard hosts --coll", 2).find("--collector"), std::string::npos);
}

TEST(DeployTest, SighupReReadsReceiversAndRoutesAndKeepsThemWhenTheFileIsBroken) {
  TempDir dir;
  auto config = [&](int receivers) {
    std::string yaml = "alerting:\n  receivers:\n";
    for (int i = 0; i < receivers; ++i) {
      absl::StrAppend(&yaml, "    - {name: r", i, ", type: log}\n");
    }
    absl::StrAppend(&yaml, "  routes:\n    - receivers: [r0]\n");
    WriteTextFile(dir.File("c.yaml"), yaml);
  };
  config(1);
  auto c =
      CollectorUnderTest::Start(dir.path(), dir.File("data"), 0, {"--config", dir.File("c.yaml")});
  ASSERT_TRUE(c.ok()) << c.status();
  config(3);  // and the built-in log receiver: 4
  (*c)->process().Signal(SIGHUP);
  EXPECT_TRUE(WaitFor(
      [&] {
        return (*c)->process().Log().find("notifications: 4 receivers, 1 routes reloaded") !=
               std::string::npos;
      },
      absl::Seconds(10)))
      << (*c)->process().Log();
  WriteTextFile(dir.File("c.yaml"), "alerting:\n  routes:\n    - receivers: [nobody]\n");
  (*c)->process().Signal(SIGHUP);
  EXPECT_TRUE(WaitFor(
      [&] {
        return (*c)->process().Log().find("keeping the running receivers and routes") !=
               std::string::npos;
      },
      absl::Seconds(10)))
      << (*c)->process().Log();
  EXPECT_EQ(RunCli((*c)->address(), {"hosts"}).exit_code, 0);  // still serving
}

TEST(DeployTest, RulesCheckValidatesAFileOffline) {
  TempDir dir;
  CommandResult shipped =
      RunCommand({BinPath("rollguard"), "rules", "check", SourcePath("deploy/config/rules.yaml")});
  EXPECT_EQ(shipped.exit_code, 0) << shipped.err;
  EXPECT_NE(shipped.out.find("rules OK"), std::string::npos) << shipped.out;
  WriteTextFile(dir.File("bad.yaml"),
                "rules:\n  - {name: x, metric: cpu_usage, op: '=>', threshold: 1, severity: "
                "warning}\n");
  CommandResult bad = RunCommand({BinPath("rollguard"), "rules", "check", dir.File("bad.yaml")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find(dir.File("bad.yaml") + ":2: rules[0].op"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace rollguard::testing
