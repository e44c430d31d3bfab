#include "tests/support/http_receiver.h"

namespace rollguard::testing {

HttpReceiver::HttpReceiver() {
  server_.Post(R"(/(.*))", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu_);
    bodies_[req.path].push_back(req.body);
    res.set_content("ok", "text/plain");
  });
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
}

HttpReceiver::~HttpReceiver() {
  server_.stop();
  thread_.join();
}

std::vector<std::string> HttpReceiver::Bodies(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  return bodies_[path];
}

}  // namespace rollguard::testing
