#include "common/metrics_http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rollguard {

// httplib's ThreadPool queues without bound; this one makes the accept loop
// wait once `max_queued` connections are waiting for a thread.
class MetricsHttpServer::BoundedQueue final : public httplib::TaskQueue {
 public:
  BoundedQueue(size_t threads, size_t max_queued, std::shared_ptr<std::atomic<uint64_t>> full)
      : max_queued_(max_queued), full_(std::move(full)) {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~BoundedQueue() override = default;

  void enqueue(std::function<void()> fn) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (jobs_.size() >= max_queued_) {
      ++*full_;
      space_.wait(lock, [&] { return jobs_.size() < max_queued_ || shutdown_; });
    }
    jobs_.push_back(std::move(fn));
    work_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutdown_ = true;
    }
    work_.notify_all();
    space_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void Work() {
    while (true) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mu_);
        work_.wait(lock, [&] { return shutdown_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // shut down, nothing left
        fn = std::move(jobs_.front());
        jobs_.pop_front();
        space_.notify_one();
      }
      fn();
    }
  }

  const size_t max_queued_;
  std::shared_ptr<std::atomic<uint64_t>> full_;
  std::mutex mu_;
  std::condition_variable work_, space_;
  std::deque<std::function<void()>> jobs_;
  bool shutdown_ = false;
  std::vector<std::thread> threads_;
};

// What httplib's defaults lack: no port sharing, a bounded handler queue
// (counted in `full`), short timeouts, small bodies that must say their
// length, and no exception text sent to a client.
void MetricsHttpServer::ApplyBounds(httplib::Server* server,
                                    std::shared_ptr<std::atomic<uint64_t>> full) {
  // httplib's default sets SO_REUSEPORT: a second collector would bind the
  // same port and answer every other scrape. SO_REUSEADDR only.
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof(yes));
  });
  // A handler thread serves one connection at a time: an idle kept-alive
  // connection (or one that never sends) holds it at most the keep-alive or
  // read timeout, so a few idle clients cannot blind every scraper for long.
  server->new_task_queue = [full] { return new BoundedQueue(4, 16, full); };
  server->set_read_timeout(2, 0);
  server->set_write_timeout(5, 0);
  server->set_keep_alive_timeout(1);
  server->set_keep_alive_max_count(10);
  server->set_payload_max_length(64 * 1024);  // GETs and small JSON: nothing big comes in
  // httplib bounds a body only by its Content-Length: a chunked body, or a
  // POST without a length (read to the end of the connection), would be read
  // whole into memory before any handler runs. Neither is accepted.
  server->set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    const bool has_body_method = req.method == "POST" || req.method == "PUT" ||
                                 req.method == "PATCH" || req.method == "DELETE" ||
                                 req.method == "PRI";
    if (req.has_header("Transfer-Encoding") ||
        (has_body_method && !req.has_header("Content-Length"))) {
      res.status = 411;
      res.set_header("Connection", "close");
      res.set_content(
          "a request with a body needs a Content-Length header (chunked bodies are not "
          "accepted)\n",
          "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // A handler's exception (none is expected) answers 500 without details.
  server->set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("http: {} {}: handler failed: {}", req.method, req.path, what);
        res.status = 500;
        res.set_content("internal error (see the server's log)\n", "text/plain");
      });
}

MetricsHttpServer::MetricsHttpServer(MetricsHttpOptions options)
    : options_(std::move(options)), queue_full_(std::make_shared<std::atomic<uint64_t>>(0)) {}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

absl::Status MetricsHttpServer::Start() {
  const std::string& listen = options_.listen;
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat(options_.flag_name, ": '", listen, "' is not HOST:PORT"));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const bool tls = !options_.cert_file.empty();
  if (tls) {
    server_ =
        std::make_unique<httplib::SSLServer>(options_.cert_file.c_str(), options_.key_file.c_str());
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  if (!server_->is_valid()) {
    return absl::InvalidArgumentError(absl::StrCat(
        options_.flag_name, " ", listen, ": cannot load the TLS certificate ", options_.cert_file));
  }
  ApplyBounds(server_.get(), queue_full_);
  server_->Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    if (options_.authorize && !options_.authorize(req.get_header_value("Authorization"))) {
      res.status = 401;
      res.set_header("WWW-Authenticate", "Bearer");
      res.set_content(options_.unauthorized_hint + "\n", "text/plain");
      return;
    }
    res.set_content(options_.metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  if (options_.routes) options_.routes(server_.get());
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
  } else if (server_->bind_to_port(host, port)) {
    port_ = port;
  }
  if (port_ <= 0) {
    port_ = 0;
    return absl::UnavailableError(absl::StrCat(options_.flag_name, " ", listen,
                                               ": cannot listen there (in use, or not an "
                                               "address of this host)"));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  spdlog::info("http: /metrics{} on {}://{}:{}/{}",
               options_.routes ? " and " + options_.routes_name : "", tls ? "https" : "http",
               host.find(':') != std::string::npos ? "[" + host + "]" : host, port_,
               tls ? " (bearer token)" : "");
  return absl::OkStatus();
}

void MetricsHttpServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace rollguard
