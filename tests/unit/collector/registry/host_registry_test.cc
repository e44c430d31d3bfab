#include "collector/registry/host_registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "collector/storage/rocksdb_storage.h"
#include "tests/fakes/memory_storage.h"
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

TEST(HostRegistryTest, StreamsOfOneHostAreBounded) {
  TempDir dir;
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto st = OpenRocksDbStorage(dir.path(), {});
  HostRegistry reg(st->get(), &clock);
  ASSERT_TRUE(reg.OnConnect(MakeHello("h"), 2).ok());
  ASSERT_TRUE(reg.OnConnect(MakeHello("h"), 2).ok());
  absl::Status third = reg.OnConnect(MakeHello("h"), 2);
  EXPECT_TRUE(absl::IsResourceExhausted(third)) << third;
  reg.OnDisconnect("h");
  EXPECT_TRUE(reg.OnConnect(MakeHello("h"), 2).ok());
  EXPECT_TRUE(reg.OnConnect(MakeHello("other"), 2).ok());
}

// A record store whose host writes can be held at the door, to line up a
// Flush that has read a host with a `hosts rm` of it.
class GatedRecordStore : public testing::MemoryRecordStore {
 public:
  absl::Status Put(Table table, absl::string_view key, absl::string_view value) override {
    if (table == Table::kHosts && fail_.load()) return absl::UnavailableError("disk full");
    if (table == Table::kHosts && hold_.load()) {
      waiting_ = true;
      while (hold_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return MemoryRecordStore::Put(table, key, value);
  }
  std::atomic<bool> hold_{false};
  std::atomic<bool> waiting_{false};
  std::atomic<bool> fail_{false};
};

class GatedStorage : public testing::MemoryStorage {
 public:
  RecordStore& records() override { return records_; }
  GatedRecordStore records_;
};

// A hello whose record cannot be written is refused, and no OnDisconnect
// follows: it must not count as a stream (after a few on a full disk the host
// was over max_streams_per_host for good).
TEST(HostRegistryTest, AHelloThatCannotBeSavedIsNotCounted) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  GatedStorage storage;
  HostRegistry reg(&storage, &clock);
  storage.records_.fail_ = true;
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(reg.OnConnect(MakeHello("h"), 2).ok());
  EXPECT_FALSE(reg.List()[0].connected());
  storage.records_.fail_ = false;
  EXPECT_TRUE(reg.OnConnect(MakeHello("h"), 2).ok());
  EXPECT_TRUE(reg.List()[0].connected());
}

// `hosts rm` while the periodic flush is writing the same host: the flush had
// read the host before the removal and used to write it back after the
// delete, so the host came back at the next start and fired host_offline for
// good. The removal now waits for the write in progress and deletes last.
TEST(HostRegistryTest, RemovedHostIsNotWrittenBackByAConcurrentFlush) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  GatedStorage storage;
  HostRegistry reg(&storage, &clock);
  ASSERT_TRUE(reg.OnConnect(MakeHello("old")).ok());
  reg.OnDisconnect("old");
  reg.OnSeen("old", nullptr);  // dirty: the next Flush writes it

  storage.records_.hold_ = true;
  std::thread flush([&] { EXPECT_TRUE(reg.Flush().ok()); });
  while (!storage.records_.waiting_.load()) absl::SleepFor(absl::Milliseconds(1));
  std::atomic<bool> removed{false};
  std::thread remove([&] {
    EXPECT_TRUE(reg.Remove("old").ok());
    removed = true;
  });
  absl::SleepFor(absl::Milliseconds(100));  // an unserialized Remove is done by now
  storage.records_.hold_ = false;
  flush.join();
  remove.join();
  ASSERT_TRUE(removed);

  HostRegistry after_restart(&storage, &clock);
  ASSERT_TRUE(after_restart.Load().ok());
  EXPECT_FALSE(after_restart.Known("old")) << "the removed host came back after a restart";
}

}  // namespace
}  // namespace rollguard::collector
