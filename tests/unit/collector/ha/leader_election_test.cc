// Leader election against a real etcd (Debian's etcd-server, started per
// test): one leader at a time, epochs that only grow, a clean stop handing
// over at once, a crashed leader replaced within its lease, and a leader cut
// off from etcd that stops acting before its lease could have expired.
#include "collector/ha/leader_election.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>

#include "collector/ha/etcd_client.h"
#include "tests/unit/collector/ha/etcd_fixture.h"

namespace rollguard::collector {
namespace {

using rollguard::testing::WaitFor;

TEST_F(EtcdTest, CreateIfAbsentLetsOneCallerHaveTheKey) {
  EtcdClient etcd({etcd_->url()}, absl::Seconds(2));
  auto lease = etcd.Grant(absl::Seconds(5));
  ASSERT_TRUE(lease.ok()) << lease.status();
  auto first = etcd.CreateIfAbsent("/k", "a", *lease);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->created);
  auto second = etcd.CreateIfAbsent("/k", "b", 0);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->created);
  ASSERT_TRUE(second->holder.has_value());
  EXPECT_EQ(second->holder->value, "a");
  EXPECT_EQ(second->holder->lease, *lease);
  EXPECT_EQ(second->holder->create_revision, first->revision);
  // A write guarded by the key's revision goes through; by a stale one, not.
  EXPECT_TRUE(etcd.PutIfHeld("/k", first->revision, "/x", "1").value_or(false));
  EXPECT_FALSE(etcd.PutIfHeld("/k", first->revision - 1, "/x", "2").value_or(true));
  auto x = etcd.Get("/x");
  ASSERT_TRUE(x.ok() && x->has_value());
  EXPECT_EQ((*x)->value, "1");
  // Revoking the lease deletes the key; a keepalive then says it expired.
  ASSERT_TRUE(etcd.Revoke(*lease).ok());
  auto k = etcd.Get("/k");
  ASSERT_TRUE(k.ok());
  EXPECT_FALSE(k->has_value());
  EXPECT_EQ(etcd.KeepAlive(*lease).value_or(-1), 0);
}

TEST_F(EtcdTest, ADeadEndpointIsSkipped) {
  EtcdClient etcd({"http://127.0.0.1:1", etcd_->url()}, absl::Seconds(2));
  ASSERT_TRUE(etcd.Put("/p/a", "1").ok());
  ASSERT_TRUE(etcd.Put("/p/b", "2").ok());
  ASSERT_TRUE(etcd.Put("/q", "3").ok());
  auto all = etcd.GetPrefix("/p/");
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].value, "2");
}

TEST_F(EtcdTest, AnUnreachableEtcdIsAnErrorNamingIt) {
  EtcdClient etcd({"http://127.0.0.1:1"}, absl::Milliseconds(500));
  auto r = etcd.Grant(absl::Seconds(5));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("127.0.0.1:1"), std::string::npos) << r.status();
}

TEST_F(EtcdTest, OneLeadsAndAStopHandsOverAtOnceWithAHigherEpoch) {
  LeaderElection a(Options("a")), b(Options("b"));
  a.Start(nullptr, nullptr, "");
  ASSERT_TRUE(WaitFor([&] { return a.Acting(); }, absl::Seconds(5)));
  b.Start(nullptr, nullptr, "");
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_FALSE(b.Acting());
  EXPECT_EQ(b.LeaderHint(), "a at 127.0.0.1:1");
  const int64_t first = a.Epoch();
  EXPECT_GT(first, 0);
  auto view = b.View();
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->leader, "a");
  EXPECT_EQ(view->epoch, first);
  EXPECT_EQ(view->members.size(), 2u);
  absl::Time stopped = absl::Now();
  a.Stop();
  EXPECT_FALSE(a.Acting());
  // Revoked, not waited out: b leads at its next poll, well before the ttl.
  ASSERT_TRUE(WaitFor([&] { return b.Acting(); }, absl::Seconds(5)));
  EXPECT_LT(absl::Now() - stopped, absl::Seconds(2));
  EXPECT_GT(b.Epoch(), first);
}

TEST_F(EtcdTest, AnEtcdOutageStopsTheLeaderBeforeItsLeaseCouldExpire) {
  LeaderElection a(Options("a"));
  a.Start(nullptr, nullptr, "");
  ASSERT_TRUE(WaitFor([&] { return a.Acting(); }, absl::Seconds(5)));
  absl::Time cut = absl::Now();
  etcd_->process().Signal(SIGSTOP);
  // The last renewal was at most ttl/3 before the cut: acting must end
  // within the ttl of it (less the margin), never later.
  ASSERT_TRUE(WaitFor([&] { return !a.Acting(); }, absl::Seconds(3)));
  EXPECT_LT(absl::Now() - cut, absl::Seconds(2));
  etcd_->process().Signal(SIGCONT);
  // Back: it renews or campaigns again and leads once more.
  EXPECT_TRUE(WaitFor([&] { return a.Acting(); }, absl::Seconds(10)));
}

// etcd says the lease is gone (here revoked by hand; in life it expired
// while this member was paused or cut off): the member steps down, the
// other leads with a higher epoch. (A paused collector process is the
// end-to-end test's: tests/e2e/ha_test.cc.)
TEST_F(EtcdTest, AMemberWhoseLeaseIsGoneStepsDownAndTheOtherLeads) {
  std::atomic<int> a_changes{0};  // outlives a, whose thread counts into it
  LeaderElection a(Options("a")), b(Options("b"));
  a.Start([&](bool, int64_t) { ++a_changes; }, nullptr, "");
  ASSERT_TRUE(WaitFor([&] { return a.Acting(); }, absl::Seconds(5)));
  b.Start(nullptr, nullptr, "");
  const int64_t first = a.Epoch();
  EtcdClient etcd({etcd_->url()}, absl::Seconds(2));
  auto holder = etcd.Get(a.LeaderKey());
  ASSERT_TRUE(holder.ok() && holder->has_value());
  ASSERT_TRUE(etcd.Revoke((*holder)->lease).ok());
  ASSERT_TRUE(WaitFor([&] { return b.Acting(); }, absl::Seconds(5)));
  EXPECT_GT(b.Epoch(), first);
  ASSERT_TRUE(WaitFor([&] { return !a.leader(); }, absl::Seconds(5)));
  EXPECT_FALSE(a.Acting());
  EXPECT_EQ(a_changes.load(), 2);  // led, then stopped
}

}  // namespace
}  // namespace rollguard::collector
