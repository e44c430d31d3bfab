// rollguard-loadgen: simulates N agents over real gRPC streams and measures
// how many samples per second the collector acknowledges (i.e. has stored).
//
//   rollguard-loadgen --collector 127.0.0.1:7700 --agents 10 --series-per-agent 20 --points 10000
//
// Values are realistic rather than constant: gauges that drift with a few
// decimals, counters that rise, timestamps a few ms off the interval.
// The last line printed is the acknowledged samples/s.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rollguard/v1/agent_service.grpc.pb.h"

namespace {

using rollguard::v1::AgentMessage;
using rollguard::v1::CollectorMessage;

struct Options {
  std::string collector = "127.0.0.1:7700";
  int agents = 10;
  int series_per_agent = 20;
  int points = 1000;
  int samples_per_batch = 1000;
  int max_in_flight = 8;
  int interval_ms = 10000;
};

struct Result {
  uint64_t acked_samples = 0;
  uint64_t rejected = 0;
  std::string error;
};

// One simulated agent: its own channel and stream.
Result RunAgent(const Options& o, int index, int64_t start_ms) {
  Result r;
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection per agent, as in a fleet
  auto channel = grpc::CreateCustomChannel(o.collector, grpc::InsecureChannelCredentials(), args);
  auto stub = rollguard::v1::AgentService::NewStub(channel);
  grpc::ClientContext ctx;
  auto stream = stub->Connect(&ctx);

  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  std::atomic<uint64_t> acked{0}, rejected{0};
  std::thread reader([&] {
    CollectorMessage in;
    while (stream->Read(&in)) {
      if (!in.has_batch_ack()) continue;
      if (in.batch_ack().accepted()) {
        acked += in.batch_ack().samples_stored();
      } else {
        ++rejected;
      }
      std::lock_guard<std::mutex> lock(mu);
      --in_flight;
      cv.notify_one();
    }
    std::lock_guard<std::mutex> lock(mu);
    in_flight = -1000000;  // stream over: unblock the writer
    cv.notify_one();
  });

  AgentMessage hello;
  hello.mutable_hello()->set_host_id(absl::StrCat("loadgen-", index));
  hello.mutable_hello()->set_agent_version("loadgen");
  bool ok = stream->Write(hello);

  std::mt19937_64 rng(static_cast<uint64_t>(index) * 7919 + 1);
  std::normal_distribution<double> step(0.0, 0.4);
  std::uniform_int_distribution<int> jitter(-4, 4);
  std::vector<double> value(o.series_per_agent);
  for (int s = 0; s < o.series_per_agent; ++s) value[s] = 20.0 + s;

  const int per_batch_points = std::max(1, o.samples_per_batch / o.series_per_agent);
  uint64_t seq = 0;
  bool defined = false;
  for (int p = 0; ok && p < o.points; p += per_batch_points) {
    AgentMessage m;
    auto* b = m.mutable_batch();
    b->set_sequence(++seq);
    if (!defined) {
      for (int s = 0; s < o.series_per_agent; ++s) {
        auto* d = b->add_new_series();
        d->set_id(static_cast<uint32_t>(s + 1));
        d->set_metric(s % 4 == 3 ? "requests_total" : absl::StrCat("gauge_", s));
        (*d->mutable_labels())["series"] = std::to_string(s);
      }
      defined = true;
    }
    for (int q = p; q < std::min(o.points, p + per_batch_points); ++q) {
      int64_t ts = start_ms + static_cast<int64_t>(q) * o.interval_ms;
      for (int s = 0; s < o.series_per_agent; ++s) {
        double v;
        if (s % 4 == 3) {
          value[s] += static_cast<double>(rng() % 50);  // a counter
          v = value[s];
        } else {
          value[s] = std::clamp(value[s] + step(rng), 0.0, 100.0);
          v = std::round(value[s] * 100) / 100;  // two decimals, like percentages
        }
        b->add_series_ids(static_cast<uint32_t>(s + 1));
        b->add_timestamps_ms(ts + jitter(rng));
        b->add_values(v);
      }
    }
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return in_flight < o.max_in_flight; });
      if (in_flight < 0) break;
      ++in_flight;
    }
    ok = stream->Write(m);
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(60), [&] { return in_flight <= 0; });
  }
  stream->WritesDone();
  reader.join();
  grpc::Status st = stream->Finish();
  if (!st.ok()) r.error = st.error_message();
  r.acked_samples = acked;
  r.rejected = rejected;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"rollguard-loadgen: simulate agents streaming to a collector; prints samples/s"};
  app.add_option("--collector", o.collector, "collector HOST:PORT")->capture_default_str();
  app.add_option("--agents", o.agents, "simulated agents (one stream each)")->capture_default_str();
  app.add_option("--series-per-agent", o.series_per_agent, "series per agent")
      ->capture_default_str();
  app.add_option("--points", o.points, "points per series")->capture_default_str();
  app.add_option("--samples-per-batch", o.samples_per_batch, "samples per message")
      ->capture_default_str();
  app.add_option("--max-in-flight", o.max_in_flight, "unacknowledged batches per stream")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const int64_t start_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count() -
                           static_cast<int64_t>(o.points) * o.interval_ms;
  std::vector<Result> results(o.agents);
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < o.agents; ++i) {
    threads.emplace_back([&, i] { results[i] = RunAgent(o, i, start_ms); });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  uint64_t acked = 0, rejected = 0;
  for (const auto& r : results) {
    acked += r.acked_samples;
    rejected += r.rejected;
    if (!r.error.empty()) std::fprintf(stderr, "stream error: %s\n", r.error.c_str());
  }
  uint64_t expected = static_cast<uint64_t>(o.agents) * o.series_per_agent * o.points;
  std::printf(
      "agents %d, series %d, samples sent %llu, acknowledged %llu, rejected batches %llu, "
      "%.2f s\n",
      o.agents, o.agents * o.series_per_agent, static_cast<unsigned long long>(expected),
      static_cast<unsigned long long>(acked), static_cast<unsigned long long>(rejected), secs);
  std::printf("acknowledged samples/s: %.0f\n", acked / secs);
  return acked == expected ? 0 : 1;
}
