// rollguard-fleet-sim: N simulated agents on real gRPC streams that answer
// the collector's commands as a real agent would (RUNNING, each step's start
// and end, then SUCCEEDED), taking --playbook-ms per playbook. For timing
// fleet rollouts without N machines:
//
//   rollguard-fleet-sim --collector 127.0.0.1:7700 --agents 50 --playbook-ms 1600 &
//   rollguard rollback full-rollback --all --max-parallel 10 --yes --wait
//
// Runs until killed; prints "ready" once every agent has its hello ack.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rollguard/v1/agent_service.grpc.pb.h"
#include "tests/bench/bench_tls.h"

namespace {

using rollguard::v1::AgentMessage;
using rollguard::v1::CollectorMessage;

struct Options {
  std::string collector = "127.0.0.1:7700";
  rollguard::bench::BenchTls tls;
  int agents = 50;
  int steps = 7;
  int playbook_ms = 1600;
  std::string prefix = "sim";
};

std::atomic<int> ready{0};

void RunAgent(const Options& o, int index) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto creds = rollguard::bench::AgentCredentials(o.tls, absl::StrCat(o.prefix, "-", index));
  if (!creds.ok()) {
    std::fprintf(stderr, "tls: %s\n", std::string(creds.status().message()).c_str());
    std::exit(2);
  }
  auto channel = grpc::CreateCustomChannel(o.collector, *creds, args);
  auto stub = rollguard::v1::AgentService::NewStub(channel);
  grpc::ClientContext ctx;
  auto stream = stub->Connect(&ctx);
  AgentMessage hello;
  hello.mutable_hello()->set_host_id(absl::StrCat(o.prefix, "-", index));
  (*hello.mutable_hello()->mutable_labels())["role"] = "sim";
  hello.mutable_hello()->set_agent_version("fleet-sim");
  for (const char* p : {"full-rollback", "disable-soccer", "reduce-load", "verify"}) {
    hello.mutable_hello()->add_playbooks(p);
  }
  if (!stream->Write(hello)) {
    std::fprintf(stderr, "agent %d: cannot connect\n", index);
    return;
  }
  std::mutex mu;
  std::condition_variable cv;
  std::deque<rollguard::v1::Command> queue;
  bool done = false;
  std::thread reader([&] {
    CollectorMessage in;
    while (stream->Read(&in)) {
      if (in.has_hello_ack()) ++ready;
      if (in.has_command()) {
        std::lock_guard<std::mutex> lock(mu);
        queue.push_back(in.command());
        cv.notify_all();
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    done = true;
    cv.notify_all();
  });
  auto send = [&](const rollguard::v1::CommandUpdate& u) {
    AgentMessage msg;
    *msg.mutable_command_update() = u;
    return stream->Write(msg);
  };
  const auto step_time = std::chrono::milliseconds(o.playbook_ms / std::max(1, o.steps));
  while (true) {
    rollguard::v1::Command cmd;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return done || !queue.empty(); });
      if (done) break;
      cmd = queue.front();
      queue.pop_front();
    }
    absl::Time t0 = absl::Now();
    rollguard::v1::CommandUpdate u;
    u.set_command_id(cmd.id());
    u.set_state(rollguard::v1::RUNNING);
    send(u);
    rollguard::v1::CommandUpdate final = u;
    for (int i = 1; i <= o.steps; ++i) {
      rollguard::v1::CommandUpdate step = u;
      auto* s = step.add_steps();
      s->set_index(i);
      s->set_total(o.steps);
      s->set_name(absl::StrCat("step ", i));
      s->set_status("running");
      send(step);
      std::this_thread::sleep_for(step_time);
      s->set_status("ok");
      s->set_duration_ms(step_time.count());
      send(step);
      *final.add_steps() = *s;
    }
    final.set_state(rollguard::v1::SUCCEEDED);
    final.set_duration_ms(absl::ToInt64Milliseconds(absl::Now() - t0));
    send(final);
  }
  stream->WritesDone();
  reader.join();
  // The collector ended the stream (a drop): say so, tests look for it.
  grpc::Status status = stream->Finish();
  std::fprintf(stderr, "agent %d: stream ended: %s\n", index, status.error_message().c_str());
}

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
  CLI11_PARSE(app, argc, argv);
  std::vector<std::thread> agents;
  for (int i = 0; i < o.agents; ++i) agents.emplace_back([&o, i] { RunAgent(o, i); });
  while (ready.load() < o.agents) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::printf("ready: %d simulated agents\n", o.agents);
  std::fflush(stdout);
  for (auto& t : agents) t.join();
  return 0;
}
