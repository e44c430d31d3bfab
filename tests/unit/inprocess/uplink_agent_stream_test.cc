// The agent's Uplink against the collector's AgentService in one process, over
// a real gRPC server on 127.0.0.1: the stream protocol (hello, batches, acks,
// commands, updates) without starting programs, with in-memory storage.
// End-to-end tests (tests/e2e) cover the same across real processes.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "agent/buffer/sample_buffer.h"
#include "agent/buffer/series_registry.h"
#include "agent/uplink/uplink.h"
#include "collector/commands/audit_log.h"
#include "collector/commands/command_manager.h"
#include "collector/ingest/agent_service.h"
#include "collector/ingest/work_pool.h"
#include "collector/registry/host_registry.h"
#include "collector/storage/rocksdb_storage.h"
#include "tests/fakes/full_disk_fs.h"
#include "tests/fakes/memory_storage.h"
#include "tests/support/process.h"

namespace rollguard {
namespace {

// Records what ingest hands on, as alerting would receive it.
class RecordingListener : public collector::IngestListener {
 public:
  void OnHostHello(const std::string& host, const Labels&) override {
    std::lock_guard<std::mutex> lock(mu_);
    hellos_.push_back(host);
  }
  void OnStored(absl::Span<const collector::StoredSample> samples) override {
    std::lock_guard<std::mutex> lock(mu_);
    stored_ += samples.size();
  }
  size_t stored() {
    std::lock_guard<std::mutex> lock(mu_);
    return stored_;
  }
  std::vector<std::string> hellos() {
    std::lock_guard<std::mutex> lock(mu_);
    return hellos_;
  }

 private:
  std::mutex mu_;
  size_t stored_ = 0;
  std::vector<std::string> hellos_;
};

template <typename F>
bool Eventually(F ready, std::chrono::milliseconds within = std::chrono::seconds(10)) {
  auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ready();
}

class UplinkAgentStreamTest : public ::testing::Test {
 protected:
  using StorageFactory = std::function<std::unique_ptr<collector::Storage>(const std::string& dir)>;
  // In-memory storage unless a test needs the real engine (`dir` is scratch).
  explicit UplinkAgentStreamTest(StorageFactory make =
                                     [](const std::string&) {
                                       return std::make_unique<testing::MemoryStorage>();
                                     })
      : storage_(make(dir_.path())) {}

  void SetUp() override {
    ASSERT_NE(storage_, nullptr);
    collector::AgentServiceDeps deps;
    deps.storage = storage_.get();
    deps.registry = &registry_;
    deps.listener = &listener_;
    deps.commands = &commands_;
    deps.pool = &pool_;
    deps.stats = &stats_;
    deps.audit = &audit_;
    deps.clock = &clock_;  // the samples are dated by it
    service_ = std::make_unique<collector::AgentServiceImpl>(deps);
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(service_.get());
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
  }
  void TearDown() override {
    if (uplink_) uplink_->Stop();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    pool_.Stop();
  }
  void StartAgent(std::function<void(rollguard::v1::Command)> on_command = nullptr) {
    agent::UplinkOptions o;
    o.collector = "127.0.0.1:" + std::to_string(port_);
    o.host_id = "bot-1";
    o.labels = {{"env", "test"}};
    o.instance_id = "i-1";
    o.heartbeat_interval = absl::Milliseconds(100);
    o.reconnect_max = absl::Seconds(1);
    o.playbooks = {"full-rollback"};
    o.on_command = std::move(on_command);
    uplink_ = std::make_unique<agent::Uplink>(o, &series_, &buffer_);
    uplink_->Start();
  }

  // A full-rollback for bot-1, as `rollguard rollback` would submit it.
  absl::StatusOr<rollguard::v1::CommandRecord> SubmitRollback() {
    rollguard::v1::Command c;
    c.set_playbook("full-rollback");
    c.set_requested_by("tester");
    return commands_.Submit(c, "bot-1", absl::Minutes(5));
  }

  testing::TempDir dir_;
  std::unique_ptr<collector::Storage> storage_;
  FakeClock clock_{absl::FromUnixMillis(1'800'000'000'000)};
  collector::HostRegistry registry_{storage_.get(), &clock_};
  collector::AuditLog audit_{&storage_->records()};
  collector::CommandManager commands_{&storage_->records(), &audit_, &clock_};
  collector::WorkPool pool_{2};
  collector::IngestStats stats_;
  RecordingListener listener_;
  std::unique_ptr<collector::AgentServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  agent::SeriesRegistry series_;
  agent::SampleBuffer buffer_{100000};
  std::unique_ptr<agent::Uplink> uplink_;
};

TEST_F(UplinkAgentStreamTest, BufferedSamplesAreStoredAcknowledgedAndHandedOn) {
  uint32_t cpu = series_.IdFor("cpu_usage", {});
  uint32_t mem = series_.IdFor("memory_usage", {{"unit", "percent"}});
  std::vector<agent::BufferedSample> samples;
  for (int i = 0; i < 50; ++i) {
    samples.push_back({cpu, 1'800'000'000'000 + i * 1000, 10.0 + i});
    samples.push_back({mem, 1'800'000'000'000 + i * 1000, 40.0});
  }
  buffer_.Push(samples);
  StartAgent();

  ASSERT_TRUE(Eventually([&] { return buffer_.buffered_samples() == 0; }))
      << buffer_.buffered_samples() << " samples never acknowledged";
  EXPECT_TRUE(uplink_->connected());
  EXPECT_EQ(listener_.hellos(), std::vector<std::string>{"bot-1"});
  EXPECT_EQ(listener_.stored(), 100u);
  EXPECT_EQ(stats_.samples_stored.load(), 100u);
  // The collector named the series by host and kept the agent's labels.
  auto found = storage_->FindSeries("memory_usage", {{"host", "bot-1"}, {"unit", "percent"}});
  ASSERT_EQ(found.size(), 1u);
  auto points = storage_->Query(found[0].id, 0, std::numeric_limits<int64_t>::max(), 0);
  ASSERT_TRUE(points.ok());
  EXPECT_EQ(points->size(), 50u);
  // The registry knows the host as connected, with its labels.
  auto hosts = registry_.List();
  ASSERT_EQ(hosts.size(), 1u);
  EXPECT_TRUE(hosts[0].connected());
  EXPECT_EQ(hosts[0].labels().at("env"), "test");
}

TEST_F(UplinkAgentStreamTest, ACommandReachesTheAgentAndItsUpdateFinishesIt) {
  std::mutex mu;
  std::vector<rollguard::v1::Command> received;
  StartAgent([&](rollguard::v1::Command c) {
    std::lock_guard<std::mutex> lock(mu);
    received.push_back(std::move(c));
  });
  ASSERT_TRUE(Eventually([&] { return uplink_->connected(); }));
  auto rec = SubmitRollback();
  ASSERT_TRUE(rec.ok()) << rec.status();

  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !received.empty();
  }));
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(received[0].id(), rec->command().id());
    EXPECT_EQ(received[0].playbook(), "full-rollback");
  }
  rollguard::v1::CommandUpdate done;
  done.set_command_id(rec->command().id());
  done.set_state(rollguard::v1::SUCCEEDED);
  uplink_->SendCommandUpdate(done);
  ASSERT_TRUE(Eventually([&] {
    auto r = commands_.Get(rec->command().id());
    return r.ok() && r->state() == rollguard::v1::SUCCEEDED;
  }));
}

TEST_F(UplinkAgentStreamTest, AnAgentWithoutPlaybooksRefusesACommandAtOnce) {
  StartAgent();  // no on_command: this agent runs nothing
  ASSERT_TRUE(Eventually([&] { return uplink_->connected(); }));
  auto rec = SubmitRollback();
  ASSERT_TRUE(rec.ok()) << rec.status();
  ASSERT_TRUE(Eventually([&] {
    auto r = commands_.Get(rec->command().id());
    return r.ok() && r->state() == rollguard::v1::REFUSED;
  }));
  EXPECT_NE(commands_.Get(rec->command().id())->error().find("no playbooks"), std::string::npos);
}

// The collector's disk fills up while an agent streams: its batches are
// refused (the stream ends UNAVAILABLE), the agent keeps them and reconnects,
// and once space returns they are stored by themselves: no restart of
// either side, nothing acknowledged lost, nothing the agent buffered lost.
class DiskFullIngestTest : public UplinkAgentStreamTest {
 protected:
  DiskFullIngestTest() : DiskFullIngestTest(std::make_shared<testing::FullDiskFileSystem>()) {}
  explicit DiskFullIngestTest(std::shared_ptr<testing::FullDiskFileSystem> fs)
      : UplinkAgentStreamTest([fs](const std::string& dir) -> std::unique_ptr<collector::Storage> {
          collector::RocksDbOptions o;
          o.env = testing::FullDiskFileSystem::EnvOf(fs);
          auto st = collector::OpenRocksDbStorage(dir, o);
          return st.ok() ? std::move(*st) : nullptr;
        }),
        fs_(std::move(fs)) {}
  // Ten samples of cpu_usage, one a second from `first`.
  void Push(uint32_t cpu, int first) {
    std::vector<agent::BufferedSample> samples;
    for (int i = first; i < first + 10; ++i) {
      samples.push_back({cpu, 1'800'000'000'000 + i * 1000, double(i)});
    }
    buffer_.Push(samples);
  }
  size_t StoredPoints() {
    auto found = storage_->FindSeries("cpu_usage", {{"host", "bot-1"}});
    if (found.size() != 1) return 0;
    return storage_->Query(found[0].id, 0, std::numeric_limits<int64_t>::max(), 0)->size();
  }
  std::shared_ptr<testing::FullDiskFileSystem> fs_;
};

TEST_F(DiskFullIngestTest, RefusedWhileFullResentAndStoredWhenSpaceReturns) {
  uint32_t cpu = series_.IdFor("cpu_usage", {});
  Push(cpu, 0);
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return buffer_.buffered_samples() == 0; }));
  EXPECT_EQ(StoredPoints(), 10u);

  fs_->SetFull(true);
  Push(cpu, 10);
  Push(cpu, 20);
  // Refused, not acknowledged: the agent still holds all 20.
  ASSERT_TRUE(Eventually([&] { return storage_->Stats().failed_writes > 0; }));
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(buffer_.buffered_samples(), 20u);
  EXPECT_EQ(StoredPoints(), 10u);
  EXPECT_NE(storage_->Stats().write_error.find("No space left"), std::string::npos);

  fs_->SetFull(false);
  ASSERT_TRUE(Eventually([&] { return buffer_.buffered_samples() == 0; }, std::chrono::seconds(30)))
      << buffer_.buffered_samples() << " samples never stored after space returned";
  EXPECT_EQ(StoredPoints(), 30u);
  EXPECT_EQ(storage_->Stats().write_error, "");
}

}  // namespace
}  // namespace rollguard
