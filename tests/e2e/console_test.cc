// The web console's HTTP side (collector/console) against a real collector,
// as an attacker would meet it: another site's page (wrong Origin, no CSRF
// token, a rebound DNS name) cannot act through a signed-in browser;
// malformed and oversized requests are refused with the reason and the
// collector keeps serving; a revoked token ends its sessions at once.
// The pages themselves, in a real browser: console_browser_test.cc.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/e2e/console_tls_fixture.h"
#include "tests/support/fleet.h"

namespace rollguard::testing {
namespace {

using Json = nlohmann::json;

// ---- plaintext loopback collector: the browser-facing attacks ---------------

class ConsoleHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = CollectorUnderTest::Start(dir_.path(), dir_.File("data"), 0,
                                       {"--http-listen", absl::StrCat("127.0.0.1:", port_)});
    ASSERT_TRUE(c.ok()) << c.status();
    collector_ = std::move(*c);
    http_.set_connection_timeout(5);
    http_.set_read_timeout(10);
  }

  // Signs in (no token on a plaintext loopback collector) and returns the
  // session id and CSRF token.
  std::pair<std::string, std::string> SignIn() {
    auto r = http_.Post("/api/session", "{}", "application/json");
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    if (!r) return {};
    return {SetCookieSession(r), Json::parse(r->body).value("csrf", "")};
  }

  httplib::Result Call(const std::string& method, const std::string& body,
                       const std::pair<std::string, std::string>& session,
                       httplib::Headers extra = {}) {
    httplib::Headers h = {{"Cookie", "rg_session=" + session.first},
                          {"X-Rollguard-Csrf", session.second}};
    h.insert(extra.begin(), extra.end());
    return http_.Post(("/api/v1/" + method).c_str(), h, body, "application/json");
  }

  TempDir dir_;
  const int port_ = PickFreeTcpPort();
  std::unique_ptr<CollectorUnderTest> collector_;
  httplib::Client http_{"127.0.0.1", port_};
};

TEST_F(ConsoleHttpTest, ThePageAndChartsAreServedOfflineWithAStrictPolicy) {
  auto page = http_.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_TRUE(absl::StrContains(page->body, "/assets/console.js"));
  const std::string csp = page->get_header_value("Content-Security-Policy");
  EXPECT_TRUE(absl::StrContains(csp, "script-src 'self'")) << csp;
  EXPECT_TRUE(absl::StrContains(csp, "frame-ancestors 'none'")) << csp;
  auto chart = http_.Get("/assets/chart.js");
  ASSERT_TRUE(chart);
  EXPECT_EQ(chart->status, 200);
  EXPECT_TRUE(absl::StrContains(chart->body, "Chart.js v3")) << "Debian's Chart.js, compiled in";
  auto missing = http_.Get("/assets/nothing.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  // /metrics is still there, next to the console.
  auto metrics = http_.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_TRUE(absl::StrContains(metrics->body, "rollguard_console_sessions 0")) << metrics->body;
}

TEST_F(ConsoleHttpTest, ASignedInSessionCallsTheApiAndItsCookieIsHttpOnlyAndStrict) {
  auto r = http_.Post("/api/session", "{}", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string cookie = r->get_header_value("Set-Cookie");
  EXPECT_TRUE(absl::StrContains(cookie, "HttpOnly")) << cookie;
  EXPECT_TRUE(absl::StrContains(cookie, "SameSite=Strict")) << cookie;
  Json who = Json::parse(r->body);
  EXPECT_EQ(who["who"], "local");
  EXPECT_EQ(who["needs_token"], false);
  std::pair<std::string, std::string> s{SetCookieSession(r), who["csrf"]};
  auto hosts = Call("ListHosts", "{}", s);
  ASSERT_TRUE(hosts);
  EXPECT_EQ(hosts->status, 200) << hosts->body;
  EXPECT_TRUE(Json::parse(hosts->body).contains("hosts")) << hosts->body;
  auto version = Call("GetVersion", "", s);
  ASSERT_TRUE(version);
  EXPECT_EQ(version->status, 200) << version->body;
  // Int64s stay exact: proto3 JSON writes them as strings.
  EXPECT_TRUE(Json::parse(version->body)["started_ms"].is_string()) << version->body;

  // Signing out ends the session on the server, not just in the browser.
  httplib::Headers h = {{"Cookie", "rg_session=" + s.first}, {"X-Rollguard-Csrf", s.second}};
  auto out = http_.Post("/api/session/end", h, "{}", "application/json");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 200);
  auto after = Call("ListHosts", "{}", s);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401) << after->body;
}

TEST_F(ConsoleHttpTest, AnotherSitesPageCannotActThroughASignedInBrowser) {
  auto s = SignIn();
  const std::string silence = R"({"matchers": {"host": "bot-1"}, "duration_ms": "60000"})";
  // No CSRF token: what a cross-site form or fetch sends along with the cookie.
  auto no_csrf = http_.Post("/api/v1/AddSilence", {{"Cookie", "rg_session=" + s.first}}, silence,
                            "application/json");
  ASSERT_TRUE(no_csrf);
  EXPECT_EQ(no_csrf->status, 403);
  EXPECT_TRUE(absl::StrContains(no_csrf->body, "X-Rollguard-Csrf")) << no_csrf->body;
  auto wrong_csrf = Call("AddSilence", silence, {s.first, std::string(64, 'a')});
  ASSERT_TRUE(wrong_csrf);
  EXPECT_EQ(wrong_csrf->status, 403);
  // Another origin, even with the token.
  auto cross = Call("AddSilence", silence, s, {{"Origin", "https://evil.example"}});
  ASSERT_TRUE(cross);
  EXPECT_EQ(cross->status, 403);
  EXPECT_TRUE(absl::StrContains(cross->body, "evil.example")) << cross->body;
  // DNS rebinding: evil.example resolving to 127.0.0.1 makes the browser
  // send Host: evil.example, for reads too.
  httplib::Headers rebound = {{"Host", "evil.example:" + std::to_string(port_)}};
  auto read = http_.Get("/api/session", rebound);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 403);
  EXPECT_TRUE(absl::StrContains(read->body, "evil.example")) << read->body;
  auto sign_in = http_.Post("/api/session", rebound, "{}", "application/json");
  ASSERT_TRUE(sign_in);
  EXPECT_EQ(sign_in->status, 403);
  EXPECT_EQ(SetCookieSession(sign_in), "");
  // A form or text/plain post (what another page can send without asking).
  auto form = http_.Post("/api/v1/AddSilence",
                         {{"Cookie", "rg_session=" + s.first}, {"X-Rollguard-Csrf", s.second}},
                         silence, "text/plain");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 415) << form->body;
  auto form_sign_in = http_.Post("/api/session", "{}", "application/x-www-form-urlencoded");
  ASSERT_TRUE(form_sign_in);
  EXPECT_EQ(form_sign_in->status, 415);
  // A second, planted session cookie: neither is used.
  auto other = SignIn();
  auto planted = http_.Post("/api/v1/AddSilence",
                            {{"Cookie", "rg_session=" + other.first + "; rg_session=" + s.first},
                             {"X-Rollguard-Csrf", s.second}},
                            silence, "application/json");
  ASSERT_TRUE(planted);
  EXPECT_EQ(planted->status, 401) << planted->body;
  // None of it made a silence.
  auto list = Call("ListSilences", "{}", s);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
  EXPECT_FALSE(absl::StrContains(list->body, "bot-1")) << list->body;
  // The same call from the console itself works.
  auto ok = Call("AddSilence", silence, s, {{"Origin", absl::StrCat("http://127.0.0.1:", port_)}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
}

TEST_F(ConsoleHttpTest, MalformedAndOversizedRequestsAreRefusedWithTheReason) {
  auto s = SignIn();
  auto garbage = Call("ListHosts", "{not json", s);
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 400);
  EXPECT_TRUE(absl::StrContains(garbage->body, "ListHosts request")) << garbage->body;
  auto misspelt = Call("ListAlerts", R"({"hostid": "x"})", s);
  ASSERT_TRUE(misspelt);
  EXPECT_EQ(misspelt->status, 400);
  EXPECT_TRUE(absl::StrContains(misspelt->body, "hostid")) << misspelt->body;
  auto unknown = Call("DropTables", "{}", s);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  auto replay = Call("Replay", "{}", s);  // the long call is not offered
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->status, 404);
  auto bad_arg = Call("QueryHistory", R"({"host_id": "nobody", "metric": "cpu_usage"})", s);
  ASSERT_TRUE(bad_arg);
  EXPECT_EQ(bad_arg->status, 404);
  EXPECT_TRUE(absl::StrContains(bad_arg->body, "unknown host 'nobody'")) << bad_arg->body;
  httplib::Headers h = {{"Cookie", "rg_session=" + s.first}, {"X-Rollguard-Csrf", s.second}};
  auto spark = http_.Post("/api/console/sparklines", h,
                          R"({"metric": "cpu_usage", "minutes": "x"})", "application/json");
  ASSERT_TRUE(spark);
  EXPECT_EQ(spark->status, 400);
  EXPECT_TRUE(absl::StrContains(spark->body, "'minutes' must be a whole number")) << spark->body;
  auto no_metric = http_.Post("/api/console/sparklines", h, "[1]", "application/json");
  ASSERT_TRUE(no_metric);
  EXPECT_EQ(no_metric->status, 400);
  auto forever =
      Call("AddSilence", R"({"matchers": {"host": "x"}, "duration_ms": "9000000000000000"})", s);
  ASSERT_TRUE(forever);
  EXPECT_EQ(forever->status, 400);
  EXPECT_TRUE(absl::StrContains(forever->body, "at most 366 days")) << forever->body;
  auto huge = Call("ListHosts", std::string(1 << 20, ' '), s);
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 413);
  // A session id of the wrong shape or an unknown one: not signed in.
  auto forged = Call("ListHosts", "{}", {std::string(64, '0'), s.second});
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401);
  // Still serving.
  auto fine = Call("ListHosts", "{}", s);
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200);
}

// httplib bounds a body only by its Content-Length: a chunked body, or one
// sent without a length, would be read whole into memory before any check.
// Both are refused as soon as the headers are in.
TEST_F(ConsoleHttpTest, BodiesWithoutALengthAreRefusedBeforeTheyAreRead) {
  for (const std::string headers :
       {"POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n",
        "POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Connection: close\r\n\r\n"}) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    timeval tv{1, 0};  // the answer comes at once, not after a body
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ASSERT_EQ(send(fd, headers.data(), headers.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(headers.size()));
    // The body starts and never ends.
    const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
    (void)send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    char buf[512] = {};
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    ASSERT_GT(n, 0) << "no answer within 1 s: the server is reading the body";
    EXPECT_TRUE(absl::StartsWith(buf, "HTTP/1.1 411")) << buf;
  }
  auto page = http_.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
}

TEST_F(ConsoleTlsTest, SignInNeedsAKnownTokenAndARevokedTokenEndsItsSessionsAtOnce) {
  StartCollector();
  auto https = Https();
  auto none = https->Post("/api/session", "{}", "application/json");
  ASSERT_TRUE(none) << httplib::to_string(none.error());
  EXPECT_EQ(none->status, 400) << none->body;
  auto wrong = https->Post("/api/session", R"({"token": "guess"})", "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401) << wrong->body;

  Json body = {{"token", Token("operator")}};
  auto r = https->Post("/api/session", body.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  // Under TLS the __Host- prefix: no other port or name can plant one.
  EXPECT_TRUE(absl::StartsWith(r->get_header_value("Set-Cookie"), "__Host-rg_session="));
  EXPECT_TRUE(absl::StrContains(r->get_header_value("Set-Cookie"), "Secure"));
  EXPECT_EQ(Json::parse(r->body)["role"], "operator");
  httplib::Headers h = {{"Cookie", "__Host-rg_session=" + SetCookieSession(r)},
                        {"X-Rollguard-Csrf", Json::parse(r->body)["csrf"].get<std::string>()}};
  auto before = https->Post("/api/v1/ListHosts", h, "{}", "application/json");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 200) << before->body;

  // Revoke: delete the token's line and reload, as the README says.
  std::string tokens = ReadTextFile(pki_ + "/tokens.txt");
  std::string kept;
  for (absl::string_view line : absl::StrSplit(tokens, '\n')) {
    if (!absl::StartsWith(line, "operator ") && !line.empty()) absl::StrAppend(&kept, line, "\n");
  }
  WriteTextFile(pki_ + "/tokens.txt", kept);
  collector_->process().Signal(SIGHUP);
  EXPECT_TRUE(WaitFor(
      [&] {
        auto after = https->Post("/api/v1/ListHosts", h, "{}", "application/json");
        return after && after->status == 401;
      },
      absl::Seconds(10)))
      << "the session outlived its token";
}

}  // namespace
}  // namespace rollguard::testing
