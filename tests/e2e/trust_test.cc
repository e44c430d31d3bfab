// Trust, with real processes and real certificates made by `rollguard pki`:
// a TLS collector refuses callers without a certificate from its CA (none,
// another CA's, an expired one) and plaintext; an agent certificate for one
// host cannot stream as another (the real host keeps streaming and gets its
// commands); roles decide who may roll back, and the audit log names the
// authenticated principal; every AdminService method is guarded; a rotated
// agent certificate is picked up without dropping the stream; plaintext is
// refused on a non-loopback address.
#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <future>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "collector/auth/method_roles.h"
#include "common/tls/certificate.h"
#include "common/tls/pki.h"
#include "rollguard/v1/admin_service.grpc.pb.h"
#include "rollguard/v1/admin_service.pb.h"
#include "tests/support/fleet.h"
#include "tests/support/raw_agent.h"

namespace rollguard::testing {
namespace {

using Flags = std::vector<std::string>;

class TrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = dir_.File("pki");
    Pki({"init", "--dir", pki_});
    for (const char* host : {"bot-a", "bot-b"}) Pki({"agent", host, "--dir", pki_});
    Pki({"user", "vic", "--role", "viewer", "--dir", pki_});
    Pki({"user", "olga", "--role", "operator", "--dir", pki_});
    Pki({"token", "ci", "--role", "viewer", "--dir", pki_});
    StartCollector(0);
  }

  void Pki(const Flags& args) {
    Flags argv = {BinPath("rollguard"), "pki"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = RunCommand(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void StartCollector(int port) {
    auto c = CollectorUnderTest::Start(
        dir_.path(), dir_.File("data"), port,
        {"--tls-cert", pki_ + "/collector.crt", "--tls-key", pki_ + "/collector.key",
         "--tls-client-ca", pki_ + "/ca.crt", "--tokens-file", pki_ + "/tokens.txt",
         "--http-listen", absl::StrCat("127.0.0.1:", http_port_)});
    ASSERT_TRUE(c.ok()) << c.status();
    collector_ = std::move(*c);
  }

  // GET /metrics over HTTPS (the collector's CA), with these extra curl flags.
  CommandResult Metrics(const Flags& extra) {
    Flags argv = {"/usr/bin/curl",  "-sS", "--max-time", "5",  "--cacert",
                  pki_ + "/ca.crt", "-o",  "-",          "-w", "\nstatus=%{http_code}"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(absl::StrCat("https://127.0.0.1:", http_port_, "/metrics"));
    return RunCommand(argv);
  }
  const int http_port_ = PickFreeTcpPort();

  Flags User(const std::string& name) {
    return {"--tls-ca",   pki_ + "/ca.crt",
            "--tls-cert", pki_ + "/users/" + name + ".crt",
            "--tls-key",  pki_ + "/users/" + name + ".key"};
  }

  CommandResult Cli(const Flags& who, const Flags& args) {
    Flags all = who;
    all.insert(all.end(), args.begin(), args.end());
    return RunCli(collector_->address(), all);
  }

  std::string AgentYaml(const std::string& cert_host, const std::string& extra = "") {
    return absl::StrCat("tls:\n  ca: ", pki_, "/ca.crt\n  cert: ", pki_, "/agents/", cert_host,
                        ".crt\n  key: ", pki_, "/agents/", cert_host,
                        ".key\n  reload_interval: 1s\n", extra);
  }

  bool Reporting(const std::string& host) {
    return WaitFor(
        [&] {
          return Cli(User("vic"), {"history", host, "memory_usage"}).exit_code == 0;
        },
        absl::Seconds(15));
  }

  // A call made in-process with exactly these credentials.
  grpc::Status ListHosts(std::shared_ptr<grpc::ChannelCredentials> creds) {
    auto stub =
        rollguard::v1::AdminService::NewStub(grpc::CreateChannel(collector_->address(), creds));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    rollguard::v1::ListHostsResponse resp;
    return stub->ListHosts(&ctx, rollguard::v1::ListHostsRequest(), &resp);
  }

  std::shared_ptr<grpc::ChannelCredentials> Ssl(const std::string& ca_pem,
                                                const KeyAndCertificate* client) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = ca_pem;
    if (client != nullptr) {
      o.pem_private_key = client->key_pem;
      o.pem_cert_chain = client->cert_pem;
    }
    return grpc::SslCredentials(o);
  }

  KeyAndCertificate Ca() {
    return {ReadTextFile(pki_ + "/ca.key"), ReadTextFile(pki_ + "/ca.crt")};
  }

  TempDir dir_;
  std::string pki_;
  std::unique_ptr<CollectorUnderTest> collector_;
};

TEST_F(TrustTest, CallersWithoutACertificateFromTheCaAreRefused) {
  const std::string ca = ReadTextFile(pki_ + "/ca.crt");
  KeyAndCertificate vic{ReadTextFile(pki_ + "/users/vic.key"),
                        ReadTextFile(pki_ + "/users/vic.crt")};
  // The control: the same in-process call with a good certificate works.
  ASSERT_TRUE(ListHosts(Ssl(ca, &vic)).ok());

  // No client certificate (and no token).
  grpc::Status none = ListHosts(Ssl(ca, nullptr));
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED) << none.error_message();

  // A certificate with the right name, from another CA.
  auto other_ca = CreateCertificateAuthority("other CA", absl::Now() - absl::Hours(1),
                                             absl::Now() + absl::Hours(24));
  ASSERT_TRUE(other_ca.ok());
  CertificateRequest req;
  req.common_name = "vic";
  req.uris = {UserUri("vic", Role::kAdmin)};
  req.client = true;
  req.not_before = absl::Now() - absl::Hours(1);
  req.not_after = absl::Now() + absl::Hours(24);
  auto forged = IssueCertificate(*other_ca, req);
  ASSERT_TRUE(forged.ok());
  EXPECT_FALSE(ListHosts(Ssl(ca, &*forged)).ok());

  // An expired certificate from the right CA.
  req.not_before = absl::Now() - absl::Hours(48);
  req.not_after = absl::Now() - absl::Hours(24);
  auto expired = IssueCertificate(Ca(), req);
  ASSERT_TRUE(expired.ok());
  EXPECT_FALSE(ListHosts(Ssl(ca, &*expired)).ok());

  // Plaintext against the TLS port, as a user who forgot --tls-ca.
  CommandResult plain = Cli({}, {"hosts"});
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(plain.err, "--tls-ca")) << plain.err;
  // A token it does not know.
  WriteTextFile(dir_.File("bad.token"), "rgt_0000\n");
  CommandResult bad =
      Cli({"--tls-ca", pki_ + "/ca.crt", "--token-file", dir_.File("bad.token")}, {"hosts"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(bad.err, "token is not known")) << bad.err;
  // The viewer token works.
  CommandResult ci =
      Cli({"--tls-ca", pki_ + "/ca.crt", "--token-file", pki_ + "/tokens/ci.token"}, {"hosts"});
  EXPECT_EQ(ci.exit_code, 0) << ci.err;
}

TEST_F(TrustTest, AnAgentCannotStreamAsAnotherHostAndTheRealHostIsUnaffected) {
  const std::string marker = dir_.File("b-ran-it");
  auto real_b =
      StartAgent(dir_.path(), collector_->address(), "bot-b",
                 AgentYaml("bot-b", absl::StrCat("labels: {owner: real}\n"
                                                 "service: {command: [/bin/sleep, '600']}\n"
                                                 "playbooks:\n  touch:\n    steps:\n"
                                                 "      - run: {command: [/usr/bin/touch, ",
                                                 marker, "]}\n")));
  ASSERT_TRUE(real_b.ok()) << real_b.status();
  ASSERT_TRUE(Reporting("bot-b")) << (*real_b)->Log() << collector_->process().Log();

  // bot-a's certificate, claiming to be bot-b, with labels that would reroute it.
  TempDir imposter_dir;
  auto imposter = StartAgent(imposter_dir.path(), collector_->address(), "bot-b",
                             AgentYaml("bot-a", "labels: {owner: imposter}\n"));
  ASSERT_TRUE(imposter.ok());
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains((*imposter)->Log(), "refused this agent"); },
                      absl::Seconds(15)))
      << (*imposter)->Log();
  EXPECT_TRUE(absl::StrContains((*imposter)->Log(), "certificate is for host 'bot-a'"));

  // The registry still holds the real host's labels; nothing of the
  // imposter's reached it.
  Flags olga = User("olga");
  Flags json = olga;
  json.insert(json.end(), {"-o", "json", "hosts"});
  CommandResult h = RunCli(collector_->address(), json);
  ASSERT_EQ(h.exit_code, 0) << h.err;
  EXPECT_TRUE(absl::StrContains(h.out, "\"real\"")) << h.out;
  EXPECT_FALSE(absl::StrContains(h.out, "imposter")) << h.out;
  EXPECT_FALSE(absl::StrContains(h.out, "bot-a")) << h.out;

  // The real bot-b still receives bot-b's commands.
  CommandResult run = Cli(olga, {"rollback", "touch", "--host", "bot-b", "--wait"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err << (*real_b)->Log();
  EXPECT_TRUE(
      WaitFor([&] { return ReadTextFile(marker) == "" && access(marker.c_str(), F_OK) == 0; },
              absl::Seconds(5)));

  // The refusal is in the audit log, under the certificate's identity.
  CommandResult audit = Cli(olga, {"audit"});
  EXPECT_TRUE(absl::StrContains(audit.out, "agent:bot-a")) << audit.out;
  EXPECT_TRUE(absl::StrContains(audit.out, "certificate is for host 'bot-a'")) << audit.out;
  (*imposter)->Signal(SIGTERM);
  (*real_b)->Signal(SIGTERM);
}

TEST_F(TrustTest, RolesDecideWhoMayRollBackAndTheAuditNamesThem) {
  auto agent = StartAgent(dir_.path(), collector_->address(), "bot-a",
                          AgentYaml("bot-a",
                                    "service: {command: [/bin/sleep, '600']}\n"
                                    "playbooks:\n  noop:\n    steps:\n"
                                    "      - run: {command: [/bin/true]}\n"));
  ASSERT_TRUE(agent.ok());
  ASSERT_TRUE(Reporting("bot-a")) << (*agent)->Log();

  EXPECT_EQ(Cli(User("vic"), {"hosts"}).exit_code, 0);
  CommandResult refused = Cli(User("vic"), {"rollback", "noop", "--host", "bot-a", "--wait"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(refused.err, "needs the operator role")) << refused.err;
  EXPECT_EQ(CountOccurrences(refused.err, "\n"), 1) << "one line: " << refused.err;

  CommandResult done = Cli(User("olga"), {"rollback", "noop", "--host", "bot-a", "--wait"});
  EXPECT_EQ(done.exit_code, 0) << done.out << done.err;
  // Whatever the client claims about itself, the audit has the certificate's name.
  CommandResult audit = Cli(User("olga"), {"audit", "--host", "bot-a"});
  EXPECT_TRUE(absl::StrContains(audit.out, "user:olga")) << audit.out;
  EXPECT_FALSE(absl::StrContains(audit.out, "@")) << "a client-claimed user@host: " << audit.out;
  CommandResult all = Cli(User("olga"), {"audit"});
  EXPECT_TRUE(absl::StrContains(all.out, "user:vic")) << "the refusal: " << all.out;

  // rules reload is an admin's.
  CommandResult reload = Cli(User("olga"), {"rules", "reload"});
  EXPECT_EQ(reload.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(reload.err, "needs the admin role")) << reload.err;
  (*agent)->Signal(SIGTERM);
}

// Calls every AdminService method by name, from the service descriptor: an
// agent certificate is refused on each, and a viewer on each the table
// reserves for operators or admins. A handler that forgot its check fails.
TEST_F(TrustTest, EveryAdminMethodIsGuarded) {
  const std::string ca = ReadTextFile(pki_ + "/ca.crt");
  KeyAndCertificate agent{ReadTextFile(pki_ + "/agents/bot-a.key"),
                          ReadTextFile(pki_ + "/agents/bot-a.crt")};
  auto viewer_channel = grpc::CreateChannel(collector_->address(), Ssl(ca, nullptr));
  auto agent_channel = grpc::CreateChannel(collector_->address(), Ssl(ca, &agent));
  const std::string token = ReadTextFile(pki_ + "/tokens/ci.token");
  auto call = [&](std::shared_ptr<grpc::Channel> ch, const std::string& method, bool with_token) {
    grpc::GenericStub stub(ch);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (with_token) ctx.AddMetadata("authorization", "Bearer " + token.substr(0, token.size() - 1));
    grpc::Slice empty("");  // an empty request message, valid for every method
    grpc::ByteBuffer req(&empty, 1), resp;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&ctx, method, grpc::StubOptions(), &req, &resp,
                   [&](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  };
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      rollguard::v1::AdminService::service_full_name());
  ASSERT_NE(service, nullptr);
  ASSERT_GT(service->method_count(), 10);
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string name = service->method(i)->name();
    const std::string path = absl::StrCat("/", service->full_name(), "/", name);
    grpc::Status as_agent = call(agent_channel, path, false);
    EXPECT_EQ(as_agent.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << name << ": " << as_agent.error_message();
    const collector::MethodRole* role = collector::FindMethodRole(name);
    ASSERT_NE(role, nullptr) << name;
    grpc::Status as_viewer = call(viewer_channel, path, true);
    if (role->role > Role::kViewer) {
      EXPECT_EQ(as_viewer.error_code(), grpc::StatusCode::PERMISSION_DENIED) << name;
    } else {
      EXPECT_NE(as_viewer.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << name << ": " << as_viewer.error_message();
      EXPECT_NE(as_viewer.error_code(), grpc::StatusCode::UNAUTHENTICATED) << name;
    }
  }
  // Nor may a user certificate open an agent stream.
  KeyAndCertificate vic{ReadTextFile(pki_ + "/users/vic.key"),
                        ReadTextFile(pki_ + "/users/vic.crt")};
  RawAgentStream stream(collector_->address(), Ssl(ca, &vic));
  stream.SendHello("bot-a");
  EXPECT_EQ(stream.Close().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(TrustTest, ARotatedAgentCertificateKeepsTheStreamAndIsUsedOnTheNextConnection) {
  auto serial = [&] {
    auto info = ParseCertificatePem(ReadTextFile(pki_ + "/agents/bot-a.crt"));
    EXPECT_TRUE(info.ok());
    return info.ok() ? info->serial_hex : std::string("?");
  };
  const std::string first = serial();
  auto agent = StartAgent(dir_.path(), collector_->address(), "bot-a", AgentYaml("bot-a"));
  ASSERT_TRUE(agent.ok());
  ASSERT_TRUE(Reporting("bot-a")) << (*agent)->Log();
  EXPECT_TRUE(absl::StrContains(collector_->process().Log(), "certificate serial " + first));

  Pki({"agent", "bot-a", "--dir", pki_});  // rotation: a new key and certificate
  const std::string second = serial();
  ASSERT_NE(first, second);
  absl::SleepFor(absl::Seconds(3));  // three reload intervals
  // The stream that was open stays open: one connection, samples still flowing.
  const std::string connected = "agent connected: host 'bot-a'";
  EXPECT_EQ(CountOccurrences(collector_->process().Log(), connected), 1)
      << collector_->process().Log();
  EXPECT_FALSE(absl::StrContains((*agent)->Log(), "stream ended")) << (*agent)->Log();

  // The next connection presents the new certificate.
  const int port = collector_->port();
  collector_->process().Signal(SIGTERM);
  ASSERT_TRUE(collector_->process().Wait(absl::Seconds(30)).has_value());
  StartCollector(port);
  ASSERT_TRUE(WaitFor(
      [&] {
        return absl::StrContains(collector_->process().Log(), "certificate serial " + second);
      },
      absl::Seconds(20)))
      << collector_->process().Log() << (*agent)->Log();
  (*agent)->Signal(SIGTERM);
}

TEST(TrustConfigTest, PlaintextOnANonLoopbackAddressRefusesToStart) {
  TempDir dir;
  CommandResult r = RunCommand(
      {BinPath("rollguard-collector"), "--listen", "0.0.0.0:0", "--data-dir", dir.File("data")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "refusing to serve plaintext on 0.0.0.0:0")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "--insecure")) << r.err;
  // Tokens travel only over TLS.
  WriteTextFile(dir.File("tokens.txt"), "");
  r = RunCommand({BinPath("rollguard-collector"), "--listen", "127.0.0.1:0", "--data-dir",
                  dir.File("data"), "--tokens-file", dir.File("tokens.txt")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "--tokens-file needs TLS")) << r.err;
}

TEST_F(TrustTest, MetricsOverHttpsWantAToken) {
  CommandResult anonymous = Metrics({});
  EXPECT_NE(anonymous.out.find("status=401"), std::string::npos) << anonymous.out << anonymous.err;
  EXPECT_EQ(anonymous.out.find("rollguard_build_info"), std::string::npos);
  CommandResult wrong = Metrics({"-H", "Authorization: Bearer rgt_0000"});
  EXPECT_NE(wrong.out.find("status=401"), std::string::npos) << wrong.out;
  const std::string token(absl::StripAsciiWhitespace(ReadTextFile(pki_ + "/tokens/ci.token")));
  CommandResult viewer = Metrics({"-H", "Authorization: Bearer " + token});
  EXPECT_NE(viewer.out.find("status=200"), std::string::npos) << viewer.out << viewer.err;
  EXPECT_NE(viewer.out.find("rollguard_build_info{version="), std::string::npos) << viewer.out;
  // Plain HTTP on the TLS port gets nothing.
  CommandResult plain = RunCommand({"/usr/bin/curl", "-sS", "--max-time", "5",
                                    absl::StrCat("http://127.0.0.1:", http_port_, "/metrics")});
  EXPECT_EQ(plain.out.find("rollguard_build_info"), std::string::npos) << plain.out;
}

}  // namespace
}  // namespace rollguard::testing
