// Control records through etcd (a real one): the key holder writes through,
// a follower locally only; a write under a lost key is refused and not made;
// a promotion makes the local tables etcd's copy; the cluster's first leader
// seeds etcd from its own tables.
#include "collector/ha/replicated_records.h"

#include <gtest/gtest.h>

#include "tests/fakes/memory_storage.h"
#include "tests/unit/collector/ha/etcd_fixture.h"

namespace rollguard::collector {
namespace {

using rollguard::testing::MemoryRecordStore;
using rollguard::testing::WaitFor;

std::map<std::string, std::string> Table_(const RecordStore& s, Table t) {
  std::map<std::string, std::string> out;
  (void)s.Scan(t, "", "", [&](absl::string_view k, absl::string_view v) {
    out.emplace(k, v);
    return true;
  });
  return out;
}

class ReplicatedRecordsTest : public EtcdTest {
 protected:
  // The elections first: their threads call into the records objects
  // (a prepare may still run while the other member hands over).
  void TearDown() override {
    if (a_) a_->Stop();
    if (b_) b_->Stop();
  }
  // a leads (its catch-up pulls into a_local_), b follows.
  void StartPair() {
    a_ = std::make_unique<LeaderElection>(Options("a"));
    b_ = std::make_unique<LeaderElection>(Options("b"));
    a_records_ = std::make_unique<ReplicatedRecords>(&a_local_, a_.get());
    b_records_ = std::make_unique<ReplicatedRecords>(&b_local_, b_.get());
    a_->Start(nullptr, nullptr, "",
              [this](int64_t epoch) { return a_records_->PullFromEtcd(epoch).status(); });
    ASSERT_TRUE(WaitFor([&] { return a_->Acting(); }, absl::Seconds(5)));
    b_->Start(nullptr, nullptr, "", [this](int64_t epoch) {
      auto pulled = b_records_->PullFromEtcd(epoch);
      if (pulled.ok()) b_pulled_ = *pulled;
      return pulled.status();
    });
  }
  MemoryRecordStore a_local_, b_local_;
  std::unique_ptr<LeaderElection> a_, b_;
  std::unique_ptr<ReplicatedRecords> a_records_, b_records_;
  ReplicatedRecords::Pulled b_pulled_;
};

TEST_F(ReplicatedRecordsTest, TheFirstLeaderSeedsEtcdWithItsHistory) {
  ASSERT_TRUE(a_local_.Put(Table::kAudit, "0001", "turned HA on").ok());
  ASSERT_TRUE(a_local_.Put(Table::kHosts, "h1", "not replicated").ok());
  StartPair();
  EtcdClient etcd({etcd_->url()}, absl::Seconds(2));
  auto audit = etcd.Get(a_->RecordsPrefix() + "audit/0001");
  ASSERT_TRUE(audit.ok()) << audit.status();
  ASSERT_TRUE(audit.ok() && audit->has_value());
  EXPECT_EQ((*audit)->value, "turned HA on");
  auto host = etcd.Get(a_->RecordsPrefix() + "hosts/h1");
  ASSERT_TRUE(host.ok());
  EXPECT_FALSE(host->has_value());
}

TEST_F(ReplicatedRecordsTest, TheLeaderWritesThroughAndANewLeaderTakesEtcdsCopy) {
  StartPair();
  ASSERT_TRUE(a_records_->Put(Table::kCommands, "c-1", "queued").ok());
  ASSERT_TRUE(a_records_->Put(Table::kCommands, "c-2", "sent").ok());
  ASSERT_TRUE(a_records_->Delete(Table::kCommands, "c-2").ok());
  ASSERT_TRUE(a_records_->Put(Table::kAlertEvents, "e-1", "a's own").ok());
  // The follower's writes stay its own; a stale record of its own goes on
  // promotion, its audit entries stay.
  ASSERT_TRUE(b_records_->Put(Table::kCommands, "c-old", "stale").ok());
  ASSERT_TRUE(b_records_->Put(Table::kAudit, "0002", "refused on b").ok());
  EtcdClient etcd({etcd_->url()}, absl::Seconds(2));
  auto old = etcd.Get(b_->RecordsPrefix() + "commands/c-old");
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->has_value());

  a_->Stop();  // hands over
  ASSERT_TRUE(WaitFor([&] { return b_->Acting(); }, absl::Seconds(5)));
  auto commands = Table_(b_local_, Table::kCommands);
  EXPECT_EQ(commands, (std::map<std::string, std::string>{{"c-1", "queued"}}));
  EXPECT_EQ(Table_(b_local_, Table::kAudit).count("0002"), 1u);
  EXPECT_TRUE(Table_(b_local_, Table::kAlertEvents).empty());
  EXPECT_FALSE(b_pulled_.seeded);
  EXPECT_EQ(b_pulled_.deleted, 1u);
}

TEST_F(ReplicatedRecordsTest, AWriteUnderALostKeyIsRefusedAndNotMade) {
  StartPair();
  ASSERT_TRUE(a_records_->Put(Table::kSilences, "s-1", "v1").ok());
  // a's key goes (its lease expired while it was paused, say) and b leads.
  EtcdClient etcd({etcd_->url()}, absl::Seconds(2));
  auto holder = etcd.Get(a_->LeaderKey());
  ASSERT_TRUE(holder.ok() && holder->has_value());
  const int64_t a_epoch = (*holder)->create_revision;
  ASSERT_TRUE(etcd.Revoke((*holder)->lease).ok());
  ASSERT_TRUE(WaitFor([&] { return b_->Acting(); }, absl::Seconds(5)));
  // Whether a has noticed yet or not, its write cannot land.
  absl::Status s = a_records_->Put(Table::kSilences, "s-1", "v2 from the deposed");
  if (a_->HeldEpoch() == a_epoch) {
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_NE(s.message().find("not the leader"), std::string::npos) << s;
    EXPECT_EQ(Table_(a_local_, Table::kSilences)["s-1"], "v1");
  }
  auto in_etcd = etcd.Get(b_->RecordsPrefix() + "silences/s-1");
  ASSERT_TRUE(in_etcd.ok() && in_etcd->has_value());
  EXPECT_EQ((*in_etcd)->value, "v1");
}

}  // namespace
}  // namespace rollguard::collector
