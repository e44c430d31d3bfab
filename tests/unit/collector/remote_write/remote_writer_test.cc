// A remote writer against a real HTTP receiver on loopback that decodes what
// it is sent: everything arrives, across a restart of the writer and errors
// of the receiver; what cannot arrive is counted.
#include "collector/remote_write/remote_writer.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <snappy.h>

#include <map>
#include <mutex>
#include <thread>

#include "collector/storage/rocksdb_storage.h"
#include "prometheus/remote.pb.h"
#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

using rollguard::testing::TempDir;
using rollguard::testing::WaitFor;

// Answers `fail_status` to the next `fail_next` requests, then 204; keeps
// every sample it accepted, by timestamp.
class FakeReceiver {
 public:
  FakeReceiver() {
    server_.Post("/api/v1/write", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      headers_ = req.headers;
      ++requests_;
      if (fail_next_ > 0) {
        --fail_next_;
        res.status = fail_status_;
        res.set_content("out of order sample", "text/plain");
        return;
      }
      std::string raw;
      prometheus::WriteRequest request;
      if (!snappy::Uncompress(req.body.data(), req.body.size(), &raw) ||
          !request.ParseFromString(raw)) {
        res.status = 400;
        return;
      }
      for (const auto& ts : request.timeseries()) {
        for (const auto& s : ts.samples()) ++samples_[s.timestamp()];
      }
      res.status = 204;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_, "/api/v1/write"); }
  void FailNext(int n, int status) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_next_ = n;
    fail_status_ = status;
  }
  std::map<int64_t, int> samples() {
    std::lock_guard<std::mutex> lock(mu_);
    return samples_;
  }
  std::string header(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = headers_.find(name);
    return it == headers_.end() ? "" : it->second;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  int fail_next_ = 0;
  int fail_status_ = 503;
  int requests_ = 0;
  httplib::Headers headers_;
  std::map<int64_t, int> samples_;
};

class RemoteWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto st = OpenRocksDbStorage(dir_.path(), {});
    ASSERT_TRUE(st.ok()) << st.status();
    storage_ = std::move(*st);
    series_ = storage_->Intern({"cpu_usage", {{"host", "a"}}});
    config_.name = "fake";
    config_.url = receiver_.url();
    config_.min_backoff = absl::Milliseconds(10);
    config_.max_backoff = absl::Milliseconds(50);
    config_.max_samples_per_send = 4;
  }

  // Samples at 1000*i ms (recent enough for max_lag) in batches of two.
  void AppendBatches(int from, int to) {
    for (int i = from; i < to; i += 2) {
      ASSERT_TRUE(storage_
                      ->Append({{series_, Ms(i), static_cast<double>(i)},
                                {series_, Ms(i + 1), static_cast<double>(i + 1)}})
                      .ok());
    }
  }
  int64_t Ms(int i) const { return base_ms_ + 1000 * i; }

  void RunUntilAllArrive();
  bool ReceivedAll(int n) {
    return WaitFor([&] { return receiver_.samples().size() == static_cast<size_t>(n); },
                   absl::Seconds(10));
  }

  TempDir dir_;
  FakeReceiver receiver_;
  std::unique_ptr<Storage> storage_;
  SeriesId series_ = 0;
  RemoteWriteConfig config_;
  const int64_t base_ms_ = Clock::Real().NowMs() - 60'000;
};

TEST_F(RemoteWriterTest, SendsWhatIsStoredAndAfterARestartOnlyWhatCameAfter) {
  RemoteWriter first(config_, storage_.get(), &Clock::Real());
  ASSERT_TRUE(first.Start().ok());
  AppendBatches(0, 10);
  ASSERT_TRUE(ReceivedAll(10));
  first.Stop();
  EXPECT_EQ(first.Stats().samples_sent, 10u);
  // Stored while no writer runs: the cursor on disk says where to go on.
  AppendBatches(10, 20);
  RemoteWriter second(config_, storage_.get(), &Clock::Real());
  ASSERT_TRUE(second.Start().ok());
  ASSERT_TRUE(ReceivedAll(20));
  for (const auto& [ms, times] : receiver_.samples()) EXPECT_EQ(times, 1) << "sent twice: " << ms;
  RemoteWriteStats st = second.Stats();
  EXPECT_EQ(st.samples_sent, 10u);
  EXPECT_TRUE(WaitFor([&] { return second.Stats().pending_records == 0; }, absl::Seconds(5)));
  EXPECT_EQ(receiver_.header("Content-Encoding"), "snappy");
  EXPECT_EQ(receiver_.header("X-Prometheus-Remote-Write-Version"), "0.1.0");
  EXPECT_EQ(receiver_.header("Content-Type"), "application/x-protobuf");
}

TEST_F(RemoteWriterTest, ServerErrorsAreRetriedUntilEverythingArrives) {
  receiver_.FailNext(3, 503);
  RunUntilAllArrive();
}

// A rotated password (401) or a receiver being redeployed (404) must not
// drain the kept log into "rejected".
TEST_F(RemoteWriterTest, AuthAndNotFoundAnswersAreRetriedToo) {
  receiver_.FailNext(3, 401);
  RunUntilAllArrive();
}

void RemoteWriterTest::RunUntilAllArrive() {
  RemoteWriter writer(config_, storage_.get(), &Clock::Real());
  ASSERT_TRUE(writer.Start().ok());
  AppendBatches(0, 12);
  ASSERT_TRUE(ReceivedAll(12));
  // Counted once the receiver has answered, a moment after the samples land.
  EXPECT_TRUE(WaitFor([&] { return writer.Stats().samples_sent == 12; }, absl::Seconds(10)));
  RemoteWriteStats st = writer.Stats();
  EXPECT_EQ(st.requests_failed, 3u);
  EXPECT_EQ(st.samples_sent, 12u);
  EXPECT_EQ(st.samples_rejected, 0u);
  EXPECT_EQ(st.last_error, "");
}

TEST_F(RemoteWriterTest, ARefusedRequestIsDroppedCountedAndTheRestGoesOn) {
  AppendBatches(0, 4);  // before the writer: it starts after them
  RemoteWriter writer(config_, storage_.get(), &Clock::Real());
  ASSERT_TRUE(writer.Start().ok());
  // Every request refused until told otherwise: the writer may send the
  // four samples as one request or several, depending on when it reads.
  receiver_.FailNext(1000, 400);
  AppendBatches(4, 8);
  ASSERT_TRUE(WaitFor([&] { return writer.Stats().samples_rejected == 4; }, absl::Seconds(10)));
  EXPECT_NE(writer.Stats().last_error.find("HTTP 400 out of order sample"), std::string::npos)
      << writer.Stats().last_error;
  receiver_.FailNext(0, 200);
  AppendBatches(8, 10);
  ASSERT_TRUE(ReceivedAll(2));
  // The writer counts once the receiver has answered: wait for that, not
  // only for the samples to arrive.
  EXPECT_TRUE(WaitFor([&] { return writer.Stats().samples_sent == 2; }, absl::Seconds(10)));
  RemoteWriteStats st = writer.Stats();
  EXPECT_EQ(st.samples_sent, 2u);
  EXPECT_EQ(st.samples_rejected, 4u);  // refused ones are not retried
  EXPECT_EQ(st.last_error, "");        // the next request worked
}

TEST_F(RemoteWriterTest, SamplesPastMaxLagAreDroppedOnlyWhileTheReceiverFails) {
  // Three hours later than the samples: agents that buffered through an
  // outage send late. A healthy receiver gets them all the same.
  FakeClock later(absl::FromUnixMillis(base_ms_) + absl::Hours(3));
  config_.max_lag = absl::Hours(2);
  {
    RemoteWriter writer(config_, storage_.get(), &later);
    ASSERT_TRUE(writer.Start().ok());
    AppendBatches(0, 6);
    ASSERT_TRUE(ReceivedAll(6));
    EXPECT_EQ(writer.Stats().samples_too_old, 0u);
  }
  // A failing receiver: the old samples go instead of waiting forever.
  receiver_.FailNext(1000, 503);
  RemoteWriter writer(config_, storage_.get(), &later);
  ASSERT_TRUE(writer.Start().ok());
  AppendBatches(6, 12);
  // At least the six new ones: delivery is at least once, so the first
  // writer's last request may be read again if its cursor was not yet saved.
  ASSERT_TRUE(WaitFor([&] { return writer.Stats().samples_too_old >= 6; }, absl::Seconds(10)));
  EXPECT_EQ(receiver_.samples().size(), 6u);
  EXPECT_TRUE(WaitFor([&] { return writer.Stats().pending_records == 0; }, absl::Seconds(5)));
}

TEST_F(RemoteWriterTest, CredentialsGoInHeadersAndNeverInErrors) {
  config_.bearer_token = "s3cr3t-token";
  config_.url = "http://127.0.0.1:1/api/v1/write";  // nothing listens there
  RemoteWriter writer(config_, storage_.get(), &Clock::Real());
  ASSERT_TRUE(writer.Start().ok());
  AppendBatches(0, 2);
  ASSERT_TRUE(WaitFor([&] { return writer.Stats().requests_failed >= 2; }, absl::Seconds(10)));
  RemoteWriteStats st = writer.Stats();
  EXPECT_FALSE(st.last_error.empty());
  EXPECT_EQ(st.last_error.find("s3cr3t"), std::string::npos) << st.last_error;
  EXPECT_EQ(st.samples_sent, 0u);
  EXPECT_GT(st.pending_records, 0u);

  // The same writer config pointed at the receiver sends the token.
  writer.Stop();
  config_.url = receiver_.url();
  RemoteWriter good(config_, storage_.get(), &Clock::Real());
  ASSERT_TRUE(good.Start().ok());
  ASSERT_TRUE(ReceivedAll(2));
  EXPECT_EQ(receiver_.header("Authorization"), "Bearer s3cr3t-token");
}

}  // namespace
}  // namespace rollguard::collector
