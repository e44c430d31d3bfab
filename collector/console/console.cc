#include "collector/console/console.h"

#include <google/protobuf/util/json_util.h>
#include <httplib.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "collector/console/console_assets.h"

namespace rollguard::collector {
namespace {

// Under TLS the __Host- prefix: the browser then takes the cookie only from
// this origin over HTTPS with Path=/, so a page on another port or a sibling
// name cannot plant one of its own.
const char* CookieName(bool tls) { return tls ? "__Host-rg_session" : "rg_session"; }
constexpr char kCsrfHeader[] = "X-Rollguard-Csrf";

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

// What every console answer carries: nothing cached, nothing framed, no
// script but our own (the page has no inline script or style).
void SecurityHeaders(httplib::Response& res, const char* cache = "no-store") {
  res.set_header("Cache-Control", cache);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; "
                 "base-uri 'none'");
}

void Json(httplib::Response& res, int status, const std::string& body) {
  SecurityHeaders(res);
  res.status = status;
  res.set_content(body, "application/json; charset=utf-8");
}

void Error(httplib::Response& res, const absl::Status& s) {
  nlohmann::json j = {{"error", std::string(s.message())},
                      {"code", absl::StatusCodeToString(s.code())}};
  Json(res, HttpStatusOf(s.code()),
       j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// The cookie's value; "" when absent or sent twice (a planted duplicate must
// not pick which session acts).
std::string CookieValue(const httplib::Request& req, absl::string_view name) {
  std::string found;
  int seen = 0;
  for (size_t i = 0; i < req.get_header_value_count("Cookie"); ++i) {
    for (absl::string_view part : absl::StrSplit(req.get_header_value("Cookie", i), ';')) {
      part = absl::StripAsciiWhitespace(part);
      if (absl::ConsumePrefix(&part, name) && absl::ConsumePrefix(&part, "=")) {
        found = std::string(part);
        ++seen;
      }
    }
  }
  return seen == 1 ? found : "";
}

bool IsLoopbackPeer(const std::string& addr) {
  return absl::StartsWith(addr, "127.") || addr == "::1" || absl::StartsWith(addr, "::ffff:127.");
}

// Bodies must be JSON: a page of another origin can send a form or text/plain
// without asking, but JSON only after a CORS preflight, which nothing here
// answers.
bool IsJson(const httplib::Request& req) {
  return absl::StartsWith(absl::AsciiStrToLower(req.get_header_value("Content-Type")),
                          "application/json");
}

// A console answer is capped: a viewer asking for a million points of every
// series gets an error, not a response the size of the database.
constexpr size_t kMaxResponseBytes = 32 << 20;

// "127.0.0.1:7780" -> "127.0.0.1"; "[::1]:7780" -> "[::1]".
absl::string_view HostPart(absl::string_view host) {
  if (absl::StartsWith(host, "[")) {
    size_t end = host.find(']');
    return end == absl::string_view::npos ? host : host.substr(0, end + 1);
  }
  return host.substr(0, host.find(':'));
}

nlohmann::json SessionJson(const SessionStore& sessions, const ConsoleSession* s) {
  nlohmann::json j = {{"needs_token", sessions.needs_token()}, {"signed_in", s != nullptr}};
  if (s != nullptr) {
    j["who"] = s->who.Display();
    j["role"] = std::string(RoleName(s->who.role));
    j["csrf"] = s->csrf;
    j["expires_ms"] = s->expires_ms;
  }
  return j;
}

}  // namespace

void Console::AddRoutes(httplib::Server* server) const {
  auto asset = [this](const httplib::Request& req, httplib::Response& res) {
    if (HostAllowed(req, res)) ServeAsset(req, res);
  };
  server->Get("/", asset);
  server->Get(R"(/assets/[a-z.]+)", asset);
  server->Get("/api/session", [this](const httplib::Request& req, httplib::Response& res) {
    if (HostAllowed(req, res)) GetSession(req, res);
  });
  server->Post("/api/session", [this](const httplib::Request& req, httplib::Response& res) {
    if (HostAllowed(req, res)) SignIn(req, res);
  });
  server->Post("/api/session/end", [this](const httplib::Request& req, httplib::Response& res) {
    if (HostAllowed(req, res)) SignOut(req, res);
  });
  server->Post(R"(/api/v1/([A-Za-z]+))",
               [this](const httplib::Request& req, httplib::Response& res) {
                 if (HostAllowed(req, res)) CallMethod(req, res);
               });
  server->Post("/api/console/sparklines",
               [this](const httplib::Request& req, httplib::Response& res) {
                 if (HostAllowed(req, res)) Sparklines(req, res);
               });
}

bool Console::HostAllowed(const httplib::Request& req, httplib::Response& res) const {
  if (o_.tls) return true;  // a rebound name would fail the certificate check
  // Plaintext is loopback-only (the collector does not start the console on
  // a plaintext listener elsewhere); the peer is checked too, not only the
  // Host header a non-browser client can set at will.
  if (!IsLoopbackPeer(req.remote_addr)) {
    Error(res, absl::PermissionDeniedError("the console on a plaintext listener serves only "
                                           "this host (configure TLS to serve others)"));
    return false;
  }
  const std::string host = absl::AsciiStrToLower(HostPart(req.get_header_value("Host")));
  if (host == "127.0.0.1" || host == "localhost" || host == "[::1]") return true;
  Error(res, absl::PermissionDeniedError(absl::StrCat(
                 "the console on a plaintext listener answers only to 127.0.0.1, localhost or "
                 "[::1], not to Host '",
                 req.get_header_value("Host"), "' (configure TLS to serve it under a name)")));
  return false;
}

std::optional<ConsoleSession> Console::PostSession(const httplib::Request& req,
                                                   httplib::Response& res) const {
  if (!IsJson(req)) {
    Error(res, absl::InvalidArgumentError("send the body as Content-Type: application/json"));
    res.status = 415;
    return std::nullopt;
  }
  const std::string origin = req.get_header_value("Origin");
  if (!origin.empty()) {
    const std::string expected =
        absl::StrCat(o_.tls ? "https://" : "http://", req.get_header_value("Host"));
    if (!absl::EqualsIgnoreCase(origin, expected)) {
      Error(res, absl::PermissionDeniedError(
                     absl::StrCat("cross-origin request from ", origin, " refused")));
      return std::nullopt;
    }
  }
  std::optional<ConsoleSession> s = o_.sessions->Find(CookieValue(req, CookieName(o_.tls)));
  if (!s) {
    Error(res, absl::UnauthenticatedError("not signed in, or the session has ended"));
    return std::nullopt;
  }
  const std::string csrf = req.get_header_value(kCsrfHeader);
  if (csrf.size() != s->csrf.size() ||
      CRYPTO_memcmp(csrf.data(), s->csrf.data(), csrf.size()) != 0) {
    Error(res, absl::PermissionDeniedError(
                   absl::StrCat("missing or wrong ", kCsrfHeader, " header (reload the page)")));
    return std::nullopt;
  }
  return s;
}

void Console::ServeAsset(const httplib::Request& req, httplib::Response& res) const {
  const ConsoleAsset* a = FindConsoleAsset(req.path == "/" ? "/index.html" : req.path);
  if (a == nullptr) {
    Error(res, absl::NotFoundError(absl::StrCat("no console file ", req.path)));
    return;
  }
  // The files change only with the binary: the browser keeps them and asks
  // each time whether they are still current (a 304 costs no download and
  // keeps its compiled script cache).
  SecurityHeaders(res, "no-cache");
  res.set_header("ETag", std::string(a->etag));
  if (req.get_header_value("If-None-Match") == a->etag) {
    res.status = 304;
    return;
  }
  res.set_content(a->body.data(), a->body.size(), std::string(a->content_type).c_str());
}

void Console::GetSession(const httplib::Request& req, httplib::Response& res) const {
  std::optional<ConsoleSession> s = o_.sessions->Find(CookieValue(req, CookieName(o_.tls)));
  Json(res, 200, SessionJson(*o_.sessions, s ? &*s : nullptr).dump());
}

void Console::SignIn(const httplib::Request& req, httplib::Response& res) const {
  if (!IsJson(req)) {
    Error(res, absl::InvalidArgumentError("send the body as Content-Type: application/json"));
    res.status = 415;
    return;
  }
  const std::string origin = req.get_header_value("Origin");
  if (!origin.empty() &&
      !absl::EqualsIgnoreCase(
          origin, absl::StrCat(o_.tls ? "https://" : "http://", req.get_header_value("Host")))) {
    Error(res, absl::PermissionDeniedError(absl::StrCat("cross-origin sign-in from ", origin)));
    return;
  }
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  std::string token;
  if (body.is_object() && body.contains("token") && body["token"].is_string()) {
    token = body["token"].get<std::string>();
  } else if (o_.sessions->needs_token()) {
    Error(res, absl::InvalidArgumentError("sign in with {\"token\": \"...\"}"));
    return;
  }
  absl::StatusOr<ConsoleSession> s = o_.sessions->SignIn(token);
  if (!s.ok()) {
    Error(res, s.status());
    return;
  }
  res.set_header("Set-Cookie",
                 absl::StrCat(CookieName(o_.tls), "=", s->id, "; Path=/; HttpOnly; SameSite=Strict",
                              o_.tls ? "; Secure" : ""));
  Json(res, 200, SessionJson(*o_.sessions, &*s).dump());
}

void Console::SignOut(const httplib::Request& req, httplib::Response& res) const {
  if (!PostSession(req, res)) return;
  o_.sessions->SignOut(CookieValue(req, CookieName(o_.tls)));
  res.set_header("Set-Cookie", absl::StrCat(CookieName(o_.tls),
                                            "=; Path=/; HttpOnly; SameSite=Strict; "
                                            "Max-Age=0",
                                            o_.tls ? "; Secure" : ""));
  Json(res, 200, SessionJson(*o_.sessions, nullptr).dump());
}

void Console::CallMethod(const httplib::Request& req, httplib::Response& res) const {
  std::optional<ConsoleSession> s = PostSession(req, res);
  if (!s) return;
  const std::string method = req.matches[1];
  std::unique_ptr<google::protobuf::Message> in = o_.admin->NewRequest(method);
  std::unique_ptr<google::protobuf::Message> out = o_.admin->NewResponse(method);
  if (!in || !out) {
    Error(res, absl::NotFoundError(absl::StrCat("no console API method '", method, "'")));
    return;
  }
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;  // a misspelt field is an error, not a no-op
  if (auto st = google::protobuf::util::JsonStringToMessage(req.body.empty() ? "{}" : req.body,
                                                            in.get(), parse);
      !st.ok()) {
    Error(res, absl::InvalidArgumentError(absl::StrCat("the body is not a ", method,
                                                       " request: ", st.message().as_string())));
    return;
  }
  const std::string peer = absl::StrCat("console ", req.remote_addr, ":", req.remote_port);
  if (absl::Status st = o_.admin->Invoke(s->who, method, peer, *in, out.get()); !st.ok()) {
    Error(res, st);
    return;
  }
  google::protobuf::util::JsonPrintOptions print;
  print.always_print_primitive_fields = true;
  print.preserve_proto_field_names = true;
  std::string json;
  if (auto st = google::protobuf::util::MessageToJsonString(*out, &json, print); !st.ok()) {
    Error(res, absl::InternalError(st.message().as_string()));
    return;
  }
  if (json.size() > kMaxResponseBytes) {
    Error(res, absl::ResourceExhaustedError(absl::StrCat(
                   "the answer is ", json.size() >> 20, " MiB, over the console's ",
                   kMaxResponseBytes >> 20, " MiB: ask for a shorter range or a lower limit")));
    return;
  }
  Json(res, 200, json);
}

void Console::Sparklines(const httplib::Request& req, httplib::Response& res) const {
  if (!PostSession(req, res)) return;
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("metric") || !body["metric"].is_string()) {
    Error(res, absl::InvalidArgumentError(
                   "ask with {\"metric\": \"error_rate\", \"minutes\": 30, \"points\": 30}"));
    return;
  }
  const std::string metric = body["metric"].get<std::string>();
  for (const char* key : {"minutes", "points"}) {
    if (body.contains(key) && !body[key].is_number_integer()) {
      Error(res, absl::InvalidArgumentError(absl::StrCat("'", key, "' must be a whole number")));
      return;
    }
  }
  // (json::value() would throw on a wrong type; the types are checked above.)
  auto integer = [&](const char* key, int64_t fallback, int64_t lo, int64_t hi) {
    return body.contains(key) ? std::clamp<int64_t>(body[key].get<int64_t>(), lo, hi) : fallback;
  };
  const int64_t minutes = integer("minutes", 30, 1, 24 * 60);
  const int64_t points = integer("points", 30, 2, 120);
  const int64_t end = o_.clock->NowMs() + 1;
  const int64_t start = end - minutes * 60'000;
  const int64_t step = (end - start + points - 1) / points;
  nlohmann::json hosts = nlohmann::json::object();
  for (const rollguard::v1::HostStatus& h : o_.registry->List()) {
    std::vector<double> sum(points, 0.0);
    std::vector<int> count(points, 0);
    for (const SeriesInfo& si : o_.storage->FindSeries(metric, {{"host", h.host_id()}})) {
      if (si.key.labels.size() != 1) continue;  // the host's own series only
      absl::StatusOr<std::vector<Point>> pts = o_.storage->Query(si.id, start, end, 100000);
      if (!pts.ok()) continue;  // a sparkline is a hint: an unreadable one is blank
      for (const Point& p : *pts) {
        if (p.timestamp_ms < start || p.timestamp_ms >= end) continue;
        const int64_t b = std::min<int64_t>((p.timestamp_ms - start) / step, points - 1);
        sum[b] += p.value;
        ++count[b];
      }
    }
    nlohmann::json line = nlohmann::json::array();
    for (int64_t i = 0; i < points; ++i) {
      line.push_back(count[i] ? nlohmann::json(sum[i] / count[i]) : nlohmann::json(nullptr));
    }
    hosts[h.host_id()] = std::move(line);
  }
  nlohmann::json out = {
      {"metric", metric}, {"start_ms", start}, {"step_ms", step}, {"hosts", std::move(hosts)}};
  Json(res, 200, out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace rollguard::collector
