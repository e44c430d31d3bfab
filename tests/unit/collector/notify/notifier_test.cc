#include "collector/notify/notifier.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
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

TEST(NotifierTest, AReloadSwapsReceiversAndRoutesWithoutLosingWhatWasQueued) {
  httplib::Server server;
  std::atomic<int> old_hits{0}, new_hits{0};
  server.Post("/old", [&](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // still busy at the reload
    ++old_hits;
    res.set_content("ok", "text/plain");
  });
  server.Post("/new", [&](const httplib::Request&, httplib::Response& res) {
    ++new_hits;
    res.set_content("ok", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  NotifyConfig before;
  before.receivers = {Webhook("ops", base + "/old")};
  before.routes = {RouteConfig{{}, {}, {"ops"}, ""}};
  std::vector<std::string> results;
  std::mutex results_mu;
  Notifier notifier(before, &Clock::Real(),
                    [&](const std::string& id, const std::string& r, const absl::Status&) {
                      std::lock_guard<std::mutex> lock(results_mu);
                      results.push_back(r + ":" + id);
                    });
  notifier.Start();
  notifier.Notify(Firing("a"));
  notifier.Notify(Firing("b"));  // queued behind a at the reload

  NotifyConfig after;
  after.receivers = {Webhook("pager", base + "/new")};
  after.routes = {RouteConfig{{}, {}, {"pager"}, ""}};
  notifier.Reload(after, absl::Seconds(5));  // returns once the old receiver has drained
  EXPECT_EQ(old_hits.load(), 2);
  notifier.Notify(Firing("c"));
  EXPECT_TRUE(rollguard::testing::WaitFor([&] { return new_hits.load() == 1; }, absl::Seconds(5)));
  EXPECT_EQ(old_hits.load(), 2);
  auto status = notifier.Status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].name(), "pager");
  notifier.Stop(absl::ZeroDuration());
  server.stop();
  t.join();
}

TEST(NotifierTest, AnUnchangedReceiverCarriesOnAndAReloadAfterStopDoesNothing) {
  NotifyConfig c;
  ReceiverConfig log;
  log.name = "log";
  log.type = "log";
  c.receivers = {log};
  c.routes = {RouteConfig{{}, {}, {"log"}, ""}};
  std::atomic<int> delivered{0};
  Notifier notifier(c, &Clock::Real(), [&](auto&&...) { ++delivered; });
  notifier.Start();
  notifier.Notify(Firing("a"));
  ASSERT_TRUE(rollguard::testing::WaitFor([&] { return delivered.load() == 1; }, absl::Seconds(5)));
  NotifyConfig more = c;
  ReceiverConfig other = log;
  other.name = "other";
  more.receivers.push_back(other);
  notifier.Reload(more);
  auto status = notifier.Status();
  ASSERT_EQ(status.size(), 2u);
  EXPECT_EQ(status[0].name(), "log");
  EXPECT_EQ(status[0].sent(), 1u);  // the same receiver: its count goes on
  notifier.Stop(absl::ZeroDuration());
  notifier.Reload(c);  // e.g. a SIGHUP racing shutdown: ignored, nothing restarted
  EXPECT_EQ(notifier.Status().size(), 2u);
}

}  // namespace
}  // namespace rollguard::collector
