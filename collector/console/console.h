// The web console, served on the collector's HTTP listener next to /metrics:
//   GET  /                      the page (one file of HTML; the script and
//   GET  /assets/...            styles, and Chart.js from Debian's
//                               libjs-chart.js, are compiled in: no CDN)
//   GET  /api/session           who is signed in, and the CSRF token
//   POST /api/session           sign in: {"token": "..."} -> session cookie
//   POST /api/session/end       sign out
//   POST /api/v1/<Method>       any AdminService method but Replay, its
//                               request and response in proto3 JSON
//   POST /api/console/sparklines  one metric's recent shape for every host
//
// Every /api/v1 call runs AdminServiceImpl::Invoke as the session's
// principal: the role table that guards the CLI guards the console, and a
// refused action is audited the same way. Every POST must carry the
// session's CSRF token in X-Rollguard-Csrf (sign-in excepted) and, when the
// browser sends one, an Origin naming this listener; bodies must be JSON.
// On a plaintext listener the Host header must name a loopback address, so a
// page of another site cannot reach the console by rebinding its DNS name
// to 127.0.0.1.
#pragma once

#include <string>

#include "collector/api/admin_service.h"
#include "collector/console/session_store.h"
#include "collector/registry/host_registry.h"
#include "collector/storage/storage.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace rollguard::collector {

struct ConsoleOptions {
  const AdminServiceImpl* admin = nullptr;
  SessionStore* sessions = nullptr;
  const Storage* storage = nullptr;  // sparklines
  const HostRegistry* registry = nullptr;
  const Clock* clock = &Clock::Real();
  bool tls = false;  // HTTPS: the cookie is Secure; any Host is accepted
};

class Console {
 public:
  explicit Console(ConsoleOptions options) : o_(options) {}

  // Adds the console's routes; call before the server starts.
  void AddRoutes(httplib::Server* server) const;

 private:
  void ServeAsset(const httplib::Request& req, httplib::Response& res) const;
  void GetSession(const httplib::Request& req, httplib::Response& res) const;
  void SignIn(const httplib::Request& req, httplib::Response& res) const;
  void SignOut(const httplib::Request& req, httplib::Response& res) const;
  void CallMethod(const httplib::Request& req, httplib::Response& res) const;
  void Sparklines(const httplib::Request& req, httplib::Response& res) const;

  // Checks every request must pass; false after writing the refusal.
  bool HostAllowed(const httplib::Request& req, httplib::Response& res) const;
  // The signed-in session of a POST whose CSRF token and Origin check out;
  // nullopt after writing the refusal.
  std::optional<ConsoleSession> PostSession(const httplib::Request& req,
                                            httplib::Response& res) const;

  const ConsoleOptions o_;
};

}  // namespace rollguard::collector
