// An HTTP server on 127.0.0.1 (any free port) that records every POST body by
// path: the far end of webhooks in end-to-end tests.
#pragma once

#include <httplib.h>

#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rollguard::testing {

class HttpReceiver {
 public:
  HttpReceiver();
  ~HttpReceiver();
  int port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> Bodies(const std::string& path);

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, std::vector<std::string>> bodies_;
};

}  // namespace rollguard::testing
