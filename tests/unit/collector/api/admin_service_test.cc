#include "collector/api/admin_service.h"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include "collector/storage/rocksdb_storage.h"
#include "rollguard/v1/admin_service.grpc.pb.h"
#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

using rollguard::testing::TempDir;

class AdminServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = std::move(*OpenRocksDbStorage(dir_.path(), {}));
    registry_ = std::make_unique<HostRegistry>(storage_.get(), &clock_);
    rollguard::v1::Hello hello;
    hello.set_host_id("bot-1");
    ASSERT_TRUE(registry_->OnConnect(hello).ok());
    SeriesId cpu = storage_->Intern({"cpu_usage", {{"host", "bot-1"}}});
    SeriesId up = storage_->Intern({"bot_up", {{"host", "bot-1"}}});
    SeriesId probe = storage_->Intern({"cpu_usage", {{"host", "bot-1"}, {"core", "0"}}});
    ASSERT_TRUE(
        storage_->Append({{cpu, 1000, 10}, {cpu, 2000, 20}, {up, 2000, 0}, {probe, 2000, 99}})
            .ok());
    AdminServiceImpl::Deps deps;
    deps.storage = storage_.get();
    deps.registry = registry_.get();
    deps.clock = &clock_;
    service_ = std::make_unique<AdminServiceImpl>(deps);
  }
  TempDir dir_;
  FakeClock clock_{absl::FromUnixMillis(5000)};
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<HostRegistry> registry_;
  std::unique_ptr<AdminServiceImpl> service_;
};

TEST_F(AdminServiceTest, ListHostsCarriesLatestHeadlineValues) {
  rollguard::v1::ListHostsResponse resp;
  ASSERT_TRUE(service_->DoListHosts(&resp).ok());
  ASSERT_EQ(resp.hosts_size(), 1);
  const auto& h = resp.hosts(0);
  EXPECT_TRUE(h.connected());
  EXPECT_EQ(h.cpu_usage(), 20);  // the plain series, not the core=0 one
  ASSERT_TRUE(h.has_bot_up());
  EXPECT_FALSE(h.bot_up());
  EXPECT_FALSE(h.has_memory_usage());
}

TEST_F(AdminServiceTest, StorageStatsShowTheHeadsAndTheirLimit) {
  rollguard::v1::StorageStats st = service_->DoGetStorageStats();
  EXPECT_EQ(st.series(), 3u);
  EXPECT_EQ(st.head_points(), 4u);  // too few to seal yet
  EXPECT_EQ(st.head_series(), 3u);
  EXPECT_EQ(st.head_points_limit(), RocksDbOptions().max_head_points);
  EXPECT_EQ(st.points_sealed(), 0u);
}

TEST_F(AdminServiceTest, HistoryReturnsEachMatchingSeries) {
  rollguard::v1::QueryHistoryRequest req;
  req.set_host_id("bot-1");
  req.set_metric("cpu_usage");
  rollguard::v1::QueryHistoryResponse resp;
  ASSERT_TRUE(service_->DoQueryHistory(req, &resp).ok());
  ASSERT_EQ(resp.series_size(), 2);
  (*req.mutable_label_matchers())["core"] = "0";
  resp.Clear();
  ASSERT_TRUE(service_->DoQueryHistory(req, &resp).ok());
  ASSERT_EQ(resp.series_size(), 1);
  EXPECT_EQ(resp.series(0).points(0).value(), 99);
}

TEST_F(AdminServiceTest, UnknownHostOrMetricIsNotFoundWithHints) {
  rollguard::v1::QueryHistoryRequest req;
  req.set_host_id("bot-9");
  req.set_metric("cpu_usage");
  rollguard::v1::QueryHistoryResponse resp;
  absl::Status s = service_->DoQueryHistory(req, &resp);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "unknown host 'bot-9' (known: bot-1)");
  req.set_host_id("bot-1");
  req.set_metric("error_rate");
  s = service_->DoQueryHistory(req, &resp);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "host 'bot-1' has no metric 'error_rate' (has: bot_up, cpu_usage)");
}

TEST_F(AdminServiceTest, EmptyRangeIsInvalid) {
  rollguard::v1::QueryHistoryRequest req;
  req.set_host_id("bot-1");
  req.set_metric("cpu_usage");
  req.set_start_ms(5000);
  req.set_end_ms(1000);
  rollguard::v1::QueryHistoryResponse resp;
  EXPECT_EQ(service_->DoQueryHistory(req, &resp).code(), absl::StatusCode::kInvalidArgument);
}

// The console's way in offers every unary method of the service (a new RPC
// is there without more code) and not Replay, the long one.
TEST_F(AdminServiceTest, InvokeOffersEveryMethodButReplay) {
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      rollguard::v1::AdminService::service_full_name());
  ASSERT_NE(service, nullptr);
  for (int i = 0; i < service->method_count(); ++i) {
    const auto* m = service->method(i);
    auto req = service_->NewRequest(m->name());
    auto resp = service_->NewResponse(m->name());
    if (m->name() == "Replay") {
      EXPECT_EQ(req, nullptr);
      continue;
    }
    ASSERT_NE(req, nullptr) << m->name();
    ASSERT_NE(resp, nullptr) << m->name();
    EXPECT_EQ(req->GetDescriptor(), m->input_type()) << m->name();
    EXPECT_EQ(resp->GetDescriptor(), m->output_type()) << m->name();
  }
}

TEST_F(AdminServiceTest, InvokeChecksTheRoleAndTheMessageTypes) {
  const Principal viewer{PrincipalKind::kToken, "vic", Role::kViewer, ""};
  rollguard::v1::ListHostsRequest req;
  rollguard::v1::ListHostsResponse resp;
  ASSERT_TRUE(service_->Invoke(viewer, "ListHosts", "test", req, &resp).ok());
  EXPECT_EQ(resp.hosts_size(), 1);
  rollguard::v1::RemoveHostRequest rm;
  rm.set_host_id("bot-1");
  rollguard::v1::RemoveHostResponse rm_resp;
  absl::Status s = service_->Invoke(viewer, "RemoveHost", "test", rm, &rm_resp);
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;
  EXPECT_TRUE(registry_->Known("bot-1"));
  // Messages of another method's types are refused, never cast.
  const Principal admin{PrincipalKind::kToken, "root", Role::kAdmin, ""};
  EXPECT_TRUE(absl::IsInternal(service_->Invoke(admin, "RemoveHost", "test", req, &rm_resp)));
  EXPECT_TRUE(registry_->Known("bot-1"));
  EXPECT_TRUE(absl::IsNotFound(service_->Invoke(admin, "Replay", "test", req, &resp)));
}

}  // namespace
}  // namespace rollguard::collector
