// Alerting end to end: a real collector and agent, a metric over its
// threshold, the alert in `rollguard alerts`, and notifications received by a
// real HTTP receiver on loopback in each webhook format and by a real
// Alertmanager (Debian's prometheus-alertmanager, started here).
#include <arpa/inet.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rollguard/v1/admin_service.pb.h"
#include "tests/support/fleet.h"
#include "tests/support/http_receiver.h"
#include "tests/support/raw_agent.h"

namespace rollguard::testing {
namespace {

using google::protobuf::Value;

// A minimal SMTP server on loopback: enough of RFC 5321 for one client at a
// time; keeps each message's DATA.
class SmtpReceiver {
 public:
  SmtpReceiver() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 4);
    thread_ = std::thread([this] { Serve(); });
  }
  ~SmtpReceiver() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<std::string> Messages() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }
  // Every command line a client sent (AUTH included).
  std::vector<std::string> Lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  void Serve() {
    while (true) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      auto say = [&](const std::string& s) { (void)!::write(c, s.data(), s.size()); };
      say("220 localhost rollguard-test ESMTP\r\n");
      std::string buf, data;
      bool in_data = false;
      char chunk[4096];
      ssize_t n;
      while ((n = ::read(c, chunk, sizeof(chunk))) > 0) {
        buf.append(chunk, static_cast<size_t>(n));
        size_t eol;
        while ((eol = buf.find("\r\n")) != std::string::npos) {
          std::string line = buf.substr(0, eol);
          buf.erase(0, eol + 2);
          if (!in_data) {
            std::lock_guard<std::mutex> lock(mu_);
            lines_.push_back(line);
          }
          if (in_data) {
            if (line == ".") {
              in_data = false;
              std::lock_guard<std::mutex> lock(mu_);
              messages_.push_back(data);
              say("250 OK queued\r\n");
            } else {
              data += line + "\n";
            }
          } else if (line.rfind("EHLO", 0) == 0 || line.rfind("HELO", 0) == 0) {
            // Offers login but no STARTTLS, like a server whose STARTTLS a
            // man in the middle stripped.
            say("250-localhost\r\n250 AUTH PLAIN LOGIN\r\n");
          } else if (line.rfind("AUTH", 0) == 0) {
            say("235 accepted\r\n");
          } else if (line == "DATA") {
            in_data = true;
            data.clear();
            say("354 go ahead\r\n");
          } else if (line == "QUIT") {
            say("221 bye\r\n");
          } else {
            say("250 OK\r\n");  // MAIL FROM, RCPT TO, RSET, NOOP
          }
        }
      }
      ::close(c);
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> messages_;
  std::vector<std::string> lines_;
};

Value ParseJson(const std::string& s) {
  Value v;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(s, &v).ok()) << s;
  return v;
}

const Value& Field(const Value& v, const std::string& k) {
  static const Value kEmpty;
  auto it = v.struct_value().fields().find(k);
  return it == v.struct_value().fields().end() ? kEmpty : it->second;
}

TEST(AlertingTest, AlertFiresAndEveryReceiverFormatArrives) {
  TempDir dir;
  HttpReceiver receiver;
  SmtpReceiver smtp;
  const int am_port = PickFreeTcpPort();
  WriteTextFile(dir.File("am.yml"),
                "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n");
  auto am = ChildProcess::Start(
      {"/usr/bin/prometheus-alertmanager", "--config.file=" + dir.File("am.yml"),
       "--storage.path=" + dir.File("am-data"),
       absl::StrCat("--web.listen-address=127.0.0.1:", am_port), "--cluster.listen-address="},
      dir.File("alertmanager.log"));
  ASSERT_TRUE(am.ok()) << am.status() << " (make test installs prometheus-alertmanager)";
  ASSERT_TRUE(WaitFor([&] { return HttpGet(am_port, "/-/ready").ok(); }, absl::Seconds(20)))
      << (*am)->Log();

  // memory_usage is always > 0, so the critical rule fires on the first sample;
  // the warning of the same family is inhibited.
  WriteTextFile(dir.File("rules.yaml"),
                "rules:\n"
                "  - {name: memory_critical, family: memory, metric: memory_usage, op: '>', "
                "threshold: 0, severity: critical, playbook: full-rollback}\n"
                "  - {name: memory_warning, family: memory, metric: memory_usage, op: '>', "
                "threshold: 0, severity: warning}\n");
  std::string base = absl::StrCat("http://127.0.0.1:", receiver.port());
  WriteTextFile(
      dir.File("collector.yaml"),
      absl::StrCat("alerting:\n"
                   "  rules: rules.yaml\n"
                   "  receivers:\n"
                   "    - {name: hook, type: webhook, url: ",
                   base, "/webhook}\n", "    - {name: discord, type: discord, url: ", base,
                   "/discord}\n", "    - {name: slack, type: slack, url: ", base, "/slack}\n",
                   "    - {name: am, type: alertmanager, url: 'http://127.0.0.1:", am_port, "'}\n",
                   "    - {name: mail, type: email, smtp_url: 'smtp://127.0.0.1:", smtp.port(),
                   "', from: rollguard@example.org, to: [ops@example.org]}\n",
                   "  routes:\n"
                   "    - {severities: [critical, warning], receivers: [hook, discord, slack, am, "
                   "mail]}\n"));
  auto collector = CollectorUnderTest::Start(dir.path(), dir.File("data"), 0,
                                             {"--config", dir.File("collector.yaml")});
  ASSERT_TRUE(collector.ok()) << collector.status();
  const std::string addr = (*collector)->address();
  auto agent = StartAgent(dir.path(), addr, "bot-1", "labels: {env: test}\n");
  ASSERT_TRUE(agent.ok());

  ASSERT_TRUE(WaitFor(
      [&] {
        return !receiver.Bodies("/webhook").empty() && !receiver.Bodies("/discord").empty() &&
               !receiver.Bodies("/slack").empty();
      },
      absl::Seconds(20)))
      << (*collector)->process().Log();

  // Generic webhook: the whole alert.
  Value hook = ParseJson(receiver.Bodies("/webhook")[0]);
  EXPECT_EQ(Field(hook, "kind").string_value(), "firing");
  EXPECT_EQ(Field(Field(hook, "alert"), "rule").string_value(), "memory_critical");
  EXPECT_EQ(Field(Field(hook, "alert"), "hostId").string_value(), "bot-1");
  EXPECT_EQ(Field(Field(hook, "hostLabels"), "env").string_value(), "test");
  // Only the critical was sent: the warning is inhibited.
  for (const auto& b : receiver.Bodies("/webhook")) {
    EXPECT_EQ(Field(Field(ParseJson(b), "alert"), "rule").string_value(), "memory_critical");
  }
  // Discord: an embed.
  Value discord = ParseJson(receiver.Bodies("/discord")[0]);
  const Value& embed = Field(discord, "embeds").list_value().values(0);
  EXPECT_TRUE(absl::StartsWith(Field(embed, "title").string_value(),
                               "[FIRING] critical: memory_critical on bot-1"))
      << Field(embed, "title").string_value();
  EXPECT_EQ(Field(embed, "color").number_value(), 0xE01E5A);
  // Slack: text and an attachment.
  Value slack = ParseJson(receiver.Bodies("/slack")[0]);
  EXPECT_TRUE(absl::StrContains(Field(slack, "text").string_value(), "memory_critical"));
  EXPECT_EQ(Field(slack, "attachments").list_value().values_size(), 1);

  // Email over SMTP.
  ASSERT_TRUE(WaitFor([&] { return !smtp.Messages().empty(); }, absl::Seconds(20)))
      << (*collector)->process().Log();
  EXPECT_NE(
      smtp.Messages()[0].find("Subject: [rollguard] FIRING critical memory_critical on bot-1"),
      std::string::npos)
      << smtp.Messages()[0];

  // The real Alertmanager has it, with our labels.
  std::string am_alerts;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = HttpGet(am_port, "/api/v2/alerts");
        am_alerts = r.ok() ? *r : "";
        return absl::StrContains(am_alerts, "memory_critical");
      },
      absl::Seconds(20)))
      << am_alerts << (*collector)->process().Log();
  Value am_list = ParseJson(am_alerts);
  const Value& am_alert = am_list.list_value().values(0);
  EXPECT_EQ(Field(Field(am_alert, "labels"), "host").string_value(), "bot-1");
  EXPECT_EQ(Field(Field(am_alert, "labels"), "severity").string_value(), "critical");
  EXPECT_EQ(Field(Field(am_alert, "annotations"), "playbook").string_value(), "full-rollback");

  // rollguard alerts shows both, the warning as inhibited, both notified or not.
  rollguard::v1::ListAlertsResponse alerts;
  ASSERT_TRUE(RunCliJson(addr, {"alerts"}, &alerts).ok());
  ASSERT_EQ(alerts.alerts_size(), 2);
  EXPECT_EQ(alerts.alerts(0).rule(), "memory_critical");
  EXPECT_EQ(alerts.alerts(0).state(), "firing");
  EXPECT_GT(alerts.alerts(0).last_notified_ms(), 0);
  EXPECT_TRUE(alerts.alerts(1).inhibited());
  CommandResult table = RunCli(addr, {"alerts"});
  EXPECT_NE(table.out.find("memory_critical"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("inhibited"), std::string::npos) << table.out;

  // The history is stored and listed.
  rollguard::v1::ListAlertsResponse all;
  ASSERT_TRUE(RunCliJson(addr, {"alerts", "--all", "--since", "1h"}, &all).ok());
  EXPECT_GE(all.events_size(), 4);  // two alerts: inactive -> pending -> firing
}

// A decommissioned host fired host_offline for ever; `hosts rm` forgets it
// (and refuses a host whose agent is still connected).
TEST(AlertingTest, ARemovedHostStopsFiringHostOffline) {
  TempDir dir;
  WriteTextFile(dir.File("collector.yaml"), "alerting:\n  stale_after: 1s\n");
  auto collector = CollectorUnderTest::Start(dir.path(), dir.File("data"), 0,
                                             {"--config", dir.File("collector.yaml")});
  ASSERT_TRUE(collector.ok()) << collector.status();
  const std::string addr = (*collector)->address();
  {
    RawAgentStream gone(addr);
    ASSERT_TRUE(gone.SendHello("old-1"));
    ASSERT_TRUE(WaitFor([&] { return gone.hello_acked(); }, absl::Seconds(10)));
  }
  RawAgentStream live(addr);
  ASSERT_TRUE(live.SendHello("live-1"));
  auto offline_alerts = [&](const std::string& host) {
    rollguard::v1::ListAlertsResponse alerts;
    if (!RunCliJson(addr, {"alerts"}, &alerts).ok()) return -1;
    int n = 0;
    for (const auto& a : alerts.alerts()) n += a.host_id() == host && a.rule() == "host_offline";
    return n;
  };
  ASSERT_TRUE(WaitFor([&] { return offline_alerts("old-1") == 1; }, absl::Seconds(15)));

  CommandResult refused = RunCli(addr, {"hosts", "rm", "live-1"});
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("host 'live-1' is connected: stop its agent first"), std::string::npos)
      << refused.err;

  CommandResult removed = RunCli(addr, {"hosts", "rm", "old-1"});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(removed.out, "host old-1 removed (1 alert(s) resolved)\n");
  rollguard::v1::ListHostsResponse hosts;
  ASSERT_TRUE(RunCliJson(addr, {"hosts"}, &hosts).ok());
  ASSERT_EQ(hosts.hosts_size(), 1);
  EXPECT_EQ(hosts.hosts(0).host_id(), "live-1");
  // Several evaluation ticks later it has not come back.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(offline_alerts("old-1"), 0);
  EXPECT_EQ(RunCli(addr, {"hosts", "rm", "old-1"}).exit_code, 1);  // unknown now
}

TEST(AlertingTest, RestartDoesNotResendAndBadReloadKeepsRules) {
  TempDir dir;
  HttpReceiver receiver;
  WriteTextFile(dir.File("rules.yaml"),
                "rules:\n  - {name: disk_seen, metric: disk_usage, op: '>=', threshold: 0, "
                "severity: warning}\n");
  WriteTextFile(dir.File("collector.yaml"),
                absl::StrCat("alerting:\n  rules: rules.yaml\n  receivers:\n"
                             "    - {name: hook, type: webhook, url: 'http://127.0.0.1:",
                             receiver.port(), "/hook'}\n  routes:\n    - {receivers: [hook]}\n"));
  auto collector = CollectorUnderTest::Start(dir.path(), dir.File("data"), 0,
                                             {"--config", dir.File("collector.yaml")});
  ASSERT_TRUE(collector.ok()) << collector.status();
  const int port = (*collector)->port();
  const std::string addr = (*collector)->address();
  auto agent = StartAgent(dir.path(), addr, "bot-1");
  ASSERT_TRUE(agent.ok());
  ASSERT_TRUE(WaitFor([&] { return receiver.Bodies("/hook").size() == 1; }, absl::Seconds(15)));

  // kill -9 and restart on the same data: the alert is restored as firing and
  // nothing is sent again (the 5-minute cooldown has not passed).
  (*collector)->process().Signal(SIGKILL);
  (*collector)->process().Wait(absl::Seconds(5));
  auto again = CollectorUnderTest::Start(dir.path(), dir.File("data"), port,
                                         {"--config", dir.File("collector.yaml")});
  ASSERT_TRUE(again.ok()) << again.status();
  rollguard::v1::ListAlertsResponse alerts;
  ASSERT_TRUE(WaitFor(
      [&] {
        alerts.Clear();
        return RunCliJson(addr, {"alerts"}, &alerts).ok() && alerts.alerts_size() == 1 &&
               alerts.alerts(0).last_sample_ms() > absl::ToUnixMillis(absl::Now()) - 1000;
      },
      absl::Seconds(15)));
  EXPECT_EQ(alerts.alerts(0).state(), "firing");
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(receiver.Bodies("/hook").size(), 1u);

  // A broken rules file is refused by reload, naming file and line; the
  // running rule keeps evaluating.
  WriteTextFile(dir.File("rules.yaml"),
                "rules:\n  - {name: x, metric: m, op: '~', threshold: 1, severity: info}\n");
  CommandResult r = RunCli(addr, {"rules", "reload"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("rules.yaml:2: rules[0].op: '~' is not one of"), std::string::npos) << r.err;
  alerts.Clear();
  ASSERT_TRUE(RunCliJson(addr, {"alerts"}, &alerts).ok());
  ASSERT_EQ(alerts.alerts_size(), 1);
  EXPECT_EQ(alerts.alerts(0).rule(), "disk_seen");

  // Silences: add, list, remove.
  CommandResult add = RunCli(
      addr, {"silence", "add", "--host", "bot-1", "--for", "1h", "--comment", "maintenance"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  rollguard::v1::ListSilencesResponse silences;
  ASSERT_TRUE(RunCliJson(addr, {"silence", "list"}, &silences).ok());
  ASSERT_EQ(silences.silences_size(), 1);
  EXPECT_EQ(silences.silences(0).comment(), "maintenance");
  ASSERT_TRUE(WaitFor(
      [&] {
        alerts.Clear();
        return RunCliJson(addr, {"alerts"}, &alerts).ok() && alerts.alerts_size() == 1 &&
               alerts.alerts(0).silenced();
      },
      absl::Seconds(5)));
  EXPECT_EQ(RunCli(addr, {"silence", "rm", silences.silences(0).id()}).exit_code, 0);
  CommandResult missing = RunCli(addr, {"silence", "rm", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "rollguard: no silence with id 'nope'\n");
}

}  // namespace
}  // namespace rollguard::testing

namespace rollguard::testing {
namespace {

// A webhook whose delivery fails must not put its token in the API, the CLI
// or the log; an email receiver with a password must not log in without TLS.
TEST(AlertingSecretsTest, WebhookTokensAndSmtpPasswordsStayOut) {
  TempDir dir;
  SmtpReceiver smtp;
  const int closed_port = PickFreeTcpPort();  // nothing listens: delivery fails
  const std::string kToken = "S3cretWebhookToken";
  const std::string kPassword = "Hunter2Password";
  WriteTextFile(dir.File("discord.url"), absl::StrCat("http://127.0.0.1:", closed_port,
                                                      "/api/webhooks/4242/", kToken, "\n"));
  WriteTextFile(dir.File("smtp.password"), kPassword + "\n");
  WriteTextFile(dir.File("rules.yaml"),
                "rules:\n  - {name: memory_critical, metric: memory_usage, op: '>', threshold: 0, "
                "severity: critical}\n");
  WriteTextFile(dir.File("collector.yaml"),
                absl::StrCat("alerting:\n  rules: rules.yaml\n  receivers:\n"
                             "    - {name: discord, type: discord, url_file: discord.url, "
                             "max_attempts: 1}\n"
                             "    - {name: mail, type: email, smtp_url: 'smtp://127.0.0.1:",
                             smtp.port(), "', from: a@example.org, to: [b@example.org], ",
                             "username: rollguard, password_file: smtp.password, max_attempts: 1}\n"
                             "  routes:\n    - {receivers: [discord, mail]}\n"));
  auto collector = CollectorUnderTest::Start(dir.path(), dir.File("data"), 0,
                                             {"--config", dir.File("collector.yaml")});
  ASSERT_TRUE(collector.ok()) << collector.status();
  auto agent = StartAgent(dir.path(), (*collector)->address(), "bot-1");
  ASSERT_TRUE(agent.ok());
  std::string json;
  ASSERT_TRUE(WaitFor(
      [&] {
        CommandResult r = RunCli((*collector)->address(), {"-o", "json", "alerts"});
        json = r.out;
        return absl::StrContains(json, "\"name\": \"discord\"") &&
               absl::StrContains(json, "/api/webhooks/") && absl::StrContains(json, "STARTTLS");
      },
      absl::Seconds(20)))
      << json << (*collector)->process().Log();
  EXPECT_TRUE(absl::StrContains(
      json, "http://127.0.0.1:" + std::to_string(closed_port) + "/api/webhooks/…/***"))
      << json;
  EXPECT_FALSE(absl::StrContains(json, kToken)) << json;
  EXPECT_FALSE(absl::StrContains(json, kPassword)) << json;
  CommandResult table = RunCli((*collector)->address(), {"alerts"});
  EXPECT_FALSE(absl::StrContains(table.out, kToken)) << table.out;
  const std::string log = (*collector)->process().Log();
  EXPECT_FALSE(absl::StrContains(log, kToken)) << log;
  EXPECT_FALSE(absl::StrContains(log, kPassword)) << log;
  // The SMTP server saw no AUTH: the password never crossed in plaintext.
  for (const std::string& line : smtp.Lines()) {
    EXPECT_FALSE(absl::StartsWith(line, "AUTH")) << line;
  }
  EXPECT_TRUE(smtp.Messages().empty());
  (*agent)->Signal(SIGTERM);
}

}  // namespace
}  // namespace rollguard::testing
