#include "collector/notify/notifier.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

Notification Firing(const std::string& rule) {
  Notification n;
  n.alert.set_id("bot-1/" + rule);
  n.alert.set_host_id("bot-1");
  n.alert.set_rule(rule);
  n.alert.set_severity("critical");
  n.kind = NotifyKind::kFiring;
  return n;
}

ReceiverConfig Webhook(const std::string& name, const std::string& url) {
  ReceiverConfig r;
  r.name = name;
  r.type = "webhook";
  r.url = url;
  r.max_attempts = 3;
  r.initial_backoff = absl::Milliseconds(10);
  r.timeout = absl::Seconds(2);
  return r;
}

TEST(NotifierTest, DeadReceiverRetriesThenFallsBackAndIsCounted) {
  httplib::Server server;
  std::atomic<int> received{0};
  server.Post("/fallback", [&](const httplib::Request&, httplib::Response& res) {
    ++received;
    res.set_content("ok", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });

  NotifyConfig c;
  c.receivers = {Webhook("dead", "http://127.0.0.1:1/hook"),
                 Webhook("fallback", "http://127.0.0.1:" + std::to_string(port) + "/fallback")};
  c.routes = {RouteConfig{{}, {}, {"dead"}, "fallback"}};
  std::mutex mu;
  std::vector<std::string> results;
  Notifier notifier(c, &Clock::Real(),
                    [&](const std::string& id, const std::string& r, const absl::Status& s) {
                      std::lock_guard<std::mutex> lock(mu);
                      results.push_back(r + ":" + (s.ok() ? "ok" : "failed"));
                    });
  notifier.Start();
  notifier.Notify(Firing("cpu"));
  // Wait for both final outcomes (the server counts before the client returns).
  ASSERT_TRUE(rollguard::testing::WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return results.size() == 2;
      },
      absl::Seconds(10)));
  EXPECT_EQ(received.load(), 1);
  auto status = notifier.Status();
  EXPECT_EQ(status[0].name(), "dead");
  EXPECT_EQ(status[0].failed(), 1u);
  EXPECT_NE(status[0].last_error().find("127.0.0.1:1"), std::string::npos)
      << status[0].last_error();
  EXPECT_EQ(status[1].sent(), 1u);
  notifier.Stop(absl::ZeroDuration());
  server.stop();
  t.join();
  EXPECT_EQ(results, (std::vector<std::string>{"dead:failed", "fallback:ok"}));
}

TEST(NotifierTest, SlowReceiverDoesNotHoldBackOthers) {
  httplib::Server server;
  std::atomic<int> fast{0};
  server.Post("/slow", [&](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    res.set_content("ok", "text/plain");
  });
  server.Post("/fast", [&](const httplib::Request&, httplib::Response& res) {
    ++fast;
    res.set_content("ok", "text/plain");
  });
  server.new_task_queue = [] { return new httplib::ThreadPool(8); };
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  NotifyConfig c;
  c.receivers = {Webhook("slow", base + "/slow"), Webhook("fast", base + "/fast")};
  c.routes = {RouteConfig{{}, {}, {"slow", "fast"}, ""}};
  Notifier notifier(c, &Clock::Real(), [](auto&&...) {});
  notifier.Start();
  for (int i = 0; i < 5; ++i) notifier.Notify(Firing("r" + std::to_string(i)));
  // All five reach the fast receiver while the slow one is still on its first.
  EXPECT_TRUE(rollguard::testing::WaitFor([&] { return fast.load() == 5; }, absl::Seconds(2)));
  notifier.Stop(absl::ZeroDuration());
  server.stop();
  t.join();
}

TEST(NotifierTest, RoutesBySeverityAndLabels) {
  NotifyConfig c;
  ReceiverConfig log;
  log.name = "log";
  log.type = "log";
  c.receivers = {log};
  c.routes = {RouteConfig{{"warning"}, {}, {"log"}, ""},
              RouteConfig{{}, {{"env", "prod"}}, {"log"}, ""}};
  std::atomic<int> delivered{0};
  Notifier notifier(c, &Clock::Real(), [&](auto&&...) { ++delivered; });
  notifier.Start();
  Notification critical_staging = Firing("a");
  critical_staging.host_labels = {{"env", "staging"}};
  notifier.Notify(critical_staging);  // matches neither route
  Notification critical_prod = Firing("b");
  critical_prod.host_labels = {{"env", "prod"}};
  notifier.Notify(critical_prod);  // the second route
  ASSERT_TRUE(rollguard::testing::WaitFor([&] { return delivered.load() == 1; }, absl::Seconds(5)));
  notifier.Stop(absl::Seconds(1));
  EXPECT_EQ(delivered.load(), 1);
}

}  // namespace
}  // namespace rollguard::collector
