// The console's TLS set-up for end-to-end tests: `rollguard pki` makes a CA,
// the agent bot-a's certificate and two tokens (operator, viewer); the
// collector serves TLS with them and its HTTP side on a picked port.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tests/support/fleet.h"

namespace rollguard::testing {

// The session id a sign-in answer sets, or "".
inline std::string SetCookieSession(const httplib::Result& r) {
  const std::string c = r->get_header_value("Set-Cookie");
  const size_t at = c.find("rg_session=");
  if (at == std::string::npos) return "";
  return c.substr(at + 11, c.find(';', at) - at - 11);
}

class ConsoleTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = dir_.File("pki");
    Pki({"init", "--dir", pki_});
    Pki({"agent", "bot-a", "--dir", pki_});
    Pki({"token", "operator", "--role", "operator", "--dir", pki_});
    Pki({"token", "viewer", "--role", "viewer", "--dir", pki_});
  }

  void Pki(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {BinPath("rollguard"), "pki"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = RunCommand(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void StartCollector(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> flags = {"--tls-cert",      pki_ + "/collector.crt",
                                      "--tls-key",       pki_ + "/collector.key",
                                      "--tls-client-ca", pki_ + "/ca.crt",
                                      "--tokens-file",   pki_ + "/tokens.txt",
                                      "--http-listen",   absl::StrCat("127.0.0.1:", http_port_)};
    flags.insert(flags.end(), extra.begin(), extra.end());
    auto c = CollectorUnderTest::Start(dir_.path(), dir_.File("data"), 0, flags);
    ASSERT_TRUE(c.ok()) << c.status();
    collector_ = std::move(*c);
  }

  std::string Token(const std::string& name) {
    return std::string(
        absl::StripAsciiWhitespace(ReadTextFile(pki_ + "/tokens/" + name + ".token")));
  }

  std::unique_ptr<httplib::SSLClient> Https() {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", http_port_);
    c->set_ca_cert_path((pki_ + "/ca.crt").c_str());
    c->enable_server_certificate_verification(true);
    c->set_connection_timeout(5);
    c->set_read_timeout(10);
    return c;
  }

  std::string AgentYaml(const std::string& extra) {
    return absl::StrCat("tls:\n  ca: ", pki_, "/ca.crt\n  cert: ", pki_, "/agents/bot-a.crt\n",
                        "  key: ", pki_, "/agents/bot-a.key\n", extra);
  }

  TempDir dir_;
  std::string pki_;
  const int http_port_ = PickFreeTcpPort();
  std::unique_ptr<CollectorUnderTest> collector_;
};

}  // namespace rollguard::testing
