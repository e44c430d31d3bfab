// rollguard-fleet-sim: N simulated agents on real gRPC streams that answer
// the collector's commands as a real agent would (RUNNING, each step's start
// and end, then SUCCEEDED), taking --playbook-ms per playbook. For timing
// fleet rollouts without N machines:
//
//   rollguard-fleet-sim --collector 127.0.0.1:7700 --agents 50 --playbook-ms 1600 &
//   rollguard rollback full-rollback --all --max-parallel 10 --yes --wait
//
// Few threads, so one process on 2 cores plays 10,000 agents: each agent is a
// gRPC callback reactor on its own connection (as real agents have), and one
// scheduler thread times every playbook's steps. Runs until killed; prints
// "ready" once every agent has its hello ack, and "agent N: stream ended"
// for a stream the collector ends. With --reconnect, an agent whose stream
// ends connects again as the real agent does (backoff from 0.5 s doubling to
// 30 s, each wait drawn at random between half and all of it), so a collector
// restart under the whole fleet is a reconnect storm to measure.
//
// With --interval S, every agent also sends what a real agent sends each
// interval: a heartbeat and a batch of --series-per-agent samples (series
// defined in a stream's first batch, as the agent's series registry does),
// each agent's first send at a random point of the interval, so a scale run
// carries ingest and liveness load too. "acked" counts batch acks.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/daemon_process.h"
#include "rollguard/v1/agent_service.grpc.pb.h"
#include "tests/bench/bench_tls.h"

namespace {

using rollguard::v1::AgentMessage;
using rollguard::v1::CollectorMessage;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string collector = "127.0.0.1:7700";
  rollguard::bench::BenchTls tls;
  int agents = 50;
  int steps = 7;
  int playbook_ms = 1600;
  std::string prefix = "sim";
  bool reconnect = false;
  double interval_s = 0;  // 0: no heartbeats, no samples
  int series_per_agent = 20;
  // The first series are the headline ones a real agent sends (error_rate,
  // cpu_usage, memory_usage, no extra labels), so views of the fleet (the
  // web console's fleet page) have what they show for real hosts.
  bool headline_metrics = false;
};

constexpr const char* kHeadline[] = {"error_rate", "cpu_usage", "memory_usage"};

std::atomic<int> ready{0};
std::atomic<int> ended{0};
std::atomic<int64_t> batches_acked{0};
std::atomic<int64_t> samples_refused{0};

// One thread running callbacks at their time (every playbook's steps).
class Scheduler {
 public:
  Scheduler() : thread_([this] { Loop(); }) {}
  ~Scheduler() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void At(Clock::time_point when, std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push({when, seq_++, std::move(fn)});
    }
    cv_.notify_all();
  }

 private:
  struct Event {
    Clock::time_point when;
    uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Event& o) const { return when != o.when ? when > o.when : seq > o.seq; }
  };
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      if (queue_.empty()) {
        cv_.wait(lock);
        continue;
      }
      if (queue_.top().when > Clock::now()) {
        cv_.wait_until(lock, queue_.top().when);
        continue;
      }
      Event e = queue_.top();
      queue_.pop();
      lock.unlock();
      e.fn();
      lock.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
  uint64_t seq_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

// One simulated agent: a bidi stream on its own channel, commands run one at
// a time, every update written in order (one write outstanding at a time).
class SimAgent final : public grpc::ClientBidiReactor<AgentMessage, CollectorMessage> {
 public:
  // A reconnect passes the agent's channel on (a new channel each attempt
  // ran the simulator out of file descriptors at 10,000 agents).
  SimAgent(const Options& o, int index, std::shared_ptr<grpc::ChannelCredentials> creds,
           Scheduler* scheduler, int attempt = 0, std::shared_ptr<grpc::Channel> channel = nullptr)
      : o_(o), index_(index), creds_(creds), scheduler_(scheduler), attempt_(attempt) {
    if (channel == nullptr) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection each, as real agents
      channel = grpc::CreateCustomChannel(o.collector, creds, args);
    }
    channel_ = std::move(channel);
    stub_ = rollguard::v1::AgentService::NewStub(channel_);
  }

  void Start() {
    stub_->async()->Connect(&ctx_, this);
    AgentMessage hello;
    auto* h = hello.mutable_hello();
    h->set_host_id(absl::StrCat(o_.prefix, "-", index_));
    (*h->mutable_labels())["role"] = "sim";
    h->set_agent_version("fleet-sim");
    h->set_agent_time_ms(absl::ToUnixMillis(absl::Now()));
    for (const char* p : {"full-rollback", "disable-soccer", "reduce-load", "verify"}) {
      h->add_playbooks(p);
    }
    Send(std::move(hello));
    StartRead(&in_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (in_.has_hello_ack()) {
      ++ready;
      std::lock_guard<std::mutex> lock(mu_);
      attempt_ = 0;
      if (o_.interval_s > 0) {
        thread_local std::mt19937 rng(std::random_device{}());
        const double first = std::uniform_real_distribution<double>(0, o_.interval_s)(rng);
        ScheduleReport(Clock::now() + std::chrono::microseconds(static_cast<int64_t>(first * 1e6)));
      }
    }
    if (in_.has_batch_ack()) {
      ++batches_acked;
      samples_refused += in_.batch_ack().samples_refused();
    }
    if (in_.has_command()) {
      std::lock_guard<std::mutex> lock(mu_);
      commands_.push_back(in_.command());
      if (!busy_) StartNextLocked();
    }
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writes_.pop_front();
    if (ok && !writes_.empty()) StartWrite(&writes_.front());
    if (!ok) writes_.clear();
    writing_ = ok && !writes_.empty();
  }

  void OnDone(const grpc::Status& status) override {
    int attempt = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      dead_ = true;  // the scheduler may still call in: nothing more is written
      attempt = attempt_;
    }
    if (!o_.reconnect) {
      ++ended;
      std::fprintf(stderr, "agent %d: stream ended: %s\n", index_, status.error_message().c_str());
      return;
    }
    // As the agent's uplink: backoff with jitter, then a new stream. This
    // reactor is finished; it is deleted once its playbook's step events
    // (all within playbook_ms) have run, so its call and the connection it
    // holds are released (kept, they ran the simulator out of descriptors).
    SimAgent* self = this;
    scheduler_->At(Clock::now() + std::chrono::milliseconds(o_.playbook_ms + 1000) +
                       std::chrono::microseconds(static_cast<int64_t>(o_.interval_s * 1e6)),
                   [self] { delete self; });
    const double cap = std::min(30.0, 0.5 * (1 << std::min(attempt, 6)));
    thread_local std::mt19937 rng(std::random_device{}());
    const double wait = std::uniform_real_distribution<double>(cap / 2, cap)(rng);
    const Options& o = o_;
    const int index = index_;
    auto creds = creds_;
    auto channel = channel_;
    Scheduler* scheduler = scheduler_;
    scheduler_->At(Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(wait * 1000)),
                   [&o, index, creds, channel, scheduler, attempt] {
                     auto* next = new SimAgent(o, index, creds, scheduler, attempt + 1, channel);
                     next->Start();
                   });
  }

 private:
  void Send(AgentMessage msg) {
    std::lock_guard<std::mutex> lock(mu_);
    SendLocked(std::move(msg));
  }
  void SendLocked(AgentMessage msg) {
    if (dead_) return;
    writes_.push_back(std::move(msg));
    if (!writing_) {
      writing_ = true;
      StartWrite(&writes_.front());
    }
  }
  // Each interval: a heartbeat, then one batch with a sample of every series
  // (defined in the stream's first batch). Stops when the stream ends; a
  // retired reactor is deleted only after interval + playbook time, so a
  // pending report never runs on a deleted agent.
  void ScheduleReport(Clock::time_point when) {
    scheduler_->At(when, [this, when] {
      std::lock_guard<std::mutex> lock(mu_);
      if (dead_) return;
      const int64_t now_ms = absl::ToUnixMillis(absl::Now());
      AgentMessage hb;
      hb.mutable_heartbeat()->set_timestamp_ms(now_ms);
      SendLocked(std::move(hb));
      AgentMessage msg;
      auto* batch = msg.mutable_batch();
      batch->set_sequence(++sequence_);
      for (int i = 0; i < o_.series_per_agent; ++i) {
        if (sequence_ == 1) {
          auto* def = batch->add_new_series();
          def->set_id(i + 1);
          if (o_.headline_metrics && i < 3) {
            def->set_metric(kHeadline[i]);
          } else {
            def->set_metric(absl::StrCat("sim_metric_", i % 10));
            (*def->mutable_labels())["n"] = absl::StrCat(i / 10);
          }
        }
        batch->add_series_ids(i + 1);
        batch->add_timestamps_ms(now_ms);
        // A slow walk, as host metrics move (compressible like real data).
        batch->add_values(static_cast<double>((sequence_ + i) % 100));
      }
      SendLocked(std::move(msg));
      ScheduleReport(when + std::chrono::microseconds(static_cast<int64_t>(o_.interval_s * 1e6)));
    });
  }
  void SendUpdateLocked(const rollguard::v1::CommandUpdate& u) {
    AgentMessage msg;
    *msg.mutable_command_update() = u;
    SendLocked(std::move(msg));
  }

  // The next queued command: RUNNING now, then each step's start and end on
  // the scheduler, then SUCCEEDED.
  void StartNextLocked() {
    if (commands_.empty()) {
      busy_ = false;
      return;
    }
    busy_ = true;
    current_ = commands_.front();
    commands_.pop_front();
    started_ = Clock::now();
    final_.Clear();
    final_.set_command_id(current_.id());
    final_.set_state(rollguard::v1::RUNNING);
    SendUpdateLocked(final_);
    ScheduleStep(1);
  }
  std::chrono::milliseconds StepTime() const {
    return std::chrono::milliseconds(o_.playbook_ms / std::max(1, o_.steps));
  }
  void ScheduleStep(int i) {
    scheduler_->At(started_ + StepTime() * (i - 1), [this, i] {
      std::lock_guard<std::mutex> lock(mu_);
      rollguard::v1::CommandUpdate step;
      step.set_command_id(current_.id());
      step.set_state(rollguard::v1::RUNNING);
      auto* s = step.add_steps();
      s->set_index(i);
      s->set_total(o_.steps);
      s->set_name(absl::StrCat("step ", i));
      s->set_status("running");
      SendUpdateLocked(step);
      scheduler_->At(started_ + StepTime() * i, [this, i, step]() mutable {
        std::lock_guard<std::mutex> lock(mu_);
        auto* s = step.mutable_steps(0);
        s->set_status("ok");
        s->set_duration_ms(StepTime().count());
        SendUpdateLocked(step);
        *final_.add_steps() = *s;
        if (i < o_.steps) {
          ScheduleStep(i + 1);
          return;
        }
        final_.set_state(rollguard::v1::SUCCEEDED);
        final_.set_duration_ms(
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count());
        SendUpdateLocked(final_);
        StartNextLocked();
      });
    });
  }

  const Options& o_;
  const int index_;
  std::shared_ptr<grpc::ChannelCredentials> creds_;
  Scheduler* const scheduler_;
  int attempt_ = 0;        // failed connects before this one (backoff)
  bool dead_ = false;      // OnDone ran
  uint64_t sequence_ = 0;  // batches sent on this stream
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<rollguard::v1::AgentService::Stub> stub_;
  grpc::ClientContext ctx_;
  CollectorMessage in_;

  std::mutex mu_;
  std::deque<AgentMessage> writes_;
  bool writing_ = false;
  std::deque<rollguard::v1::Command> commands_;
  bool busy_ = false;
  rollguard::v1::Command current_;
  rollguard::v1::CommandUpdate final_;
  Clock::time_point started_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Simulated rollguard agents that answer commands, for fleet rollout timing"};
  app.add_option("--collector", o.collector, "collector HOST:PORT")->capture_default_str();
  rollguard::bench::AddTlsFlags(app, &o.tls);
  app.add_option("--agents", o.agents, "simulated hosts")->capture_default_str();
  app.add_option("--steps", o.steps, "steps per playbook")->capture_default_str();
  app.add_option("--playbook-ms", o.playbook_ms, "time one playbook takes")->capture_default_str();
  app.add_option("--prefix", o.prefix, "host ids are PREFIX-N")->capture_default_str();
  app.add_flag("--reconnect", o.reconnect,
               "reconnect ended streams with backoff and jitter, as the agent does");
  app.add_option("--interval", o.interval_s,
                 "seconds between each agent's heartbeat + sample batch (0: none)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--series-per-agent", o.series_per_agent, "series in each agent's batch")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_flag("--headline-metrics", o.headline_metrics,
               "the first three series are error_rate, cpu_usage and memory_usage, as a real "
               "agent's are");
  CLI11_PARSE(app, argc, argv);
  rollguard::PrepareDaemonProcess();  // as the agent: no lock-cycle checks in gRPC
  Scheduler scheduler;
  // A reconnect makes a new reactor and retires the old one; without
  // --reconnect they live as long as the process.
  std::vector<SimAgent*> agents;
  agents.reserve(o.agents);
  for (int i = 0; i < o.agents; ++i) {
    auto creds = rollguard::bench::AgentCredentials(o.tls, absl::StrCat(o.prefix, "-", i));
    if (!creds.ok()) {
      std::fprintf(stderr, "tls: %s\n", std::string(creds.status().message()).c_str());
      return 2;
    }
    agents.push_back(new SimAgent(o, i, *creds, &scheduler));
    agents.back()->Start();
    // Connect in a steady stream rather than all at once.
    if (i % 500 == 499) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  while (ready.load() + ended.load() < o.agents) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::printf("ready: %d simulated agents\n", ready.load());
  std::fflush(stdout);
  // Until killed (the agents live as long as the process). With samples,
  // a line every 10 s says how ingest goes.
  while (true) {
    std::this_thread::sleep_for(std::chrono::seconds(10));
    if (o.interval_s > 0) {
      std::printf("batches acked: %lld, samples refused: %lld, streams ended: %d\n",
                  static_cast<long long>(batches_acked.load()),
                  static_cast<long long>(samples_refused.load()), ended.load());
      std::fflush(stdout);
    }
  }
}
