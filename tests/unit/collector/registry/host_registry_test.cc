#include "collector/registry/host_registry.h"

#include <gtest/gtest.h>

#include "collector/storage/rocksdb_storage.h"
#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

using rollguard::testing::TempDir;

rollguard::v1::Hello MakeHello(const std::string& id) {
  rollguard::v1::Hello h;
  h.set_host_id(id);
  h.set_agent_version("1.2.3");
  (*h.mutable_labels())["env"] = "prod";
  return h;
}

TEST(HostRegistryTest, ConnectSeenDisconnectAndSurviveRestart) {
  TempDir dir;
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  {
    auto st = OpenRocksDbStorage(dir.path(), {});
    HostRegistry reg(st->get(), &clock);
    ASSERT_TRUE(reg.Load().ok());
    ASSERT_TRUE(reg.OnConnect(MakeHello("bot-1")).ok());
    clock.Advance(absl::Seconds(30));
    rollguard::v1::Heartbeat hb;
    hb.set_buffered_samples(12);
    hb.set_dropped_samples(3);
    reg.OnSeen("bot-1", &hb);
    auto hosts = reg.List();
    ASSERT_EQ(hosts.size(), 1u);
    EXPECT_TRUE(hosts[0].connected());
    EXPECT_EQ(hosts[0].last_seen_ms(), clock.NowMs());
    EXPECT_EQ(hosts[0].first_seen_ms(), clock.NowMs() - 30000);
    EXPECT_EQ(hosts[0].dropped_samples(), 3u);
    ASSERT_TRUE(reg.Flush().ok());
  }
  // After a (crash-)restart every host is known but offline until it reconnects.
  auto st = OpenRocksDbStorage(dir.path(), {});
  HostRegistry reg(st->get(), &clock);
  ASSERT_TRUE(reg.Load().ok());
  auto hosts = reg.List();
  ASSERT_EQ(hosts.size(), 1u);
  EXPECT_FALSE(hosts[0].connected());
  EXPECT_EQ(hosts[0].labels().at("env"), "prod");
  EXPECT_EQ(hosts[0].last_seen_ms(), clock.NowMs());
  EXPECT_TRUE(reg.Known("bot-1"));
  EXPECT_FALSE(reg.Known("bot-2"));
}

TEST(HostRegistryTest, TwoStreamsForOneHostStayConnectedUntilBothEnd) {
  TempDir dir;
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto st = OpenRocksDbStorage(dir.path(), {});
  HostRegistry reg(st->get(), &clock);
  ASSERT_TRUE(reg.OnConnect(MakeHello("h")).ok());
  ASSERT_TRUE(reg.OnConnect(MakeHello("h")).ok());
  reg.OnDisconnect("h");
  EXPECT_TRUE(reg.List()[0].connected());
  reg.OnDisconnect("h");
  EXPECT_FALSE(reg.List()[0].connected());
}

}  // namespace
}  // namespace rollguard::collector
