// rollguard-loadgen: simulates N agents over real gRPC streams and measures
// how many samples per second the collector acknowledges (i.e. has stored).
//
//   rollguard-loadgen --collector 127.0.0.1:7700 --agents 10 --series-per-agent 20 --points 10000
//   rollguard-loadgen ... --write-prometheus data.prom   # the same samples, for other databases
//   rollguard-loadgen --collector ... --input data.prom  # replay a file instead of generating
//
// Generated values are realistic rather than constant: gauges that drift with
// two decimals, counters that rise, timestamps a few ms off the interval.
// Files are Prometheus text with timestamps, one `name{labels} value ts_ms` a
// line (what VictoriaMetrics' /api/v1/import/prometheus takes); the `host`
// label picks the simulated agent. The last line printed is the acknowledged
// samples/s.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rollguard/v1/agent_service.grpc.pb.h"
#include "tests/bench/bench_tls.h"

namespace {

using rollguard::v1::AgentMessage;
using rollguard::v1::CollectorMessage;

struct Options {
  std::string collector = "127.0.0.1:7700";
  rollguard::bench::BenchTls tls;
  int agents = 10;
  std::string prefix = "loadgen";
  int series_per_agent = 20;
  int points = 1000;
  int samples_per_batch = 1000;
  int max_in_flight = 8;
  int interval_ms = 10000;
  std::string input;
  std::string write_prometheus;
};

struct SeriesDef {
  std::string metric;
  std::map<std::string, std::string> labels;  // without host
};

struct Sample {
  uint32_t series = 0;  // index into AgentData::series
  int64_t timestamp_ms = 0;
  double value = 0;
};

// One simulated agent's data, in sending order.
struct AgentData {
  std::string host;
  std::vector<SeriesDef> series;
  std::vector<Sample> samples;
};

struct Result {
  uint64_t acked_samples = 0;
  uint64_t rejected = 0;
  std::string error;
};

std::vector<AgentData> Generate(const Options& o) {
  const int64_t start_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count() -
                           static_cast<int64_t>(o.points) * o.interval_ms;
  std::vector<AgentData> agents(o.agents);
  for (int a = 0; a < o.agents; ++a) {
    AgentData& d = agents[a];
    d.host = absl::StrCat(o.prefix, "-", a);
    for (int s = 0; s < o.series_per_agent; ++s) {
      d.series.push_back({s % 4 == 3 ? "requests_total" : absl::StrCat("gauge_", s),
                          {{"series", std::to_string(s)}}});
    }
    std::mt19937_64 rng(static_cast<uint64_t>(a) * 7919 + 1);
    std::normal_distribution<double> step(0.0, 0.4);
    std::uniform_int_distribution<int> jitter(-4, 4);
    std::vector<double> value(o.series_per_agent);
    for (int s = 0; s < o.series_per_agent; ++s) value[s] = 20.0 + s;
    d.samples.reserve(static_cast<size_t>(o.points) * o.series_per_agent);
    for (int q = 0; q < o.points; ++q) {
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
        d.samples.push_back({static_cast<uint32_t>(s), ts + jitter(rng), v});
      }
    }
  }
  return agents;
}

bool WritePrometheus(const std::vector<AgentData>& agents, const std::string& path) {
  std::ofstream out(path);
  for (const AgentData& d : agents) {
    for (const Sample& s : d.samples) {
      const SeriesDef& def = d.series[s.series];
      out << def.metric << "{host=\"" << d.host << "\"";
      for (const auto& [k, v] : def.labels) out << "," << k << "=\"" << v << "\"";
      // The shortest text that reads back as the same double.
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), s.value);
      out << "} " << std::string_view(buf, static_cast<size_t>(end - buf)) << " " << s.timestamp_ms
          << "\n";
    }
  }
  return static_cast<bool>(out);
}

// `name{k="v",...} value ts_ms`; false on anything else.
bool ParseLine(const std::string& line, std::string* metric,
               std::map<std::string, std::string>* labels, double* value, int64_t* ts) {
  size_t brace = line.find('{');
  size_t close = line.rfind('}');
  if (brace == std::string::npos || close == std::string::npos || close < brace) return false;
  *metric = line.substr(0, brace);
  labels->clear();
  std::string body = line.substr(brace + 1, close - brace - 1);
  size_t i = 0;
  while (i < body.size()) {
    size_t eq = body.find('=', i);
    if (eq == std::string::npos || eq + 1 >= body.size() || body[eq + 1] != '"') return false;
    size_t end = body.find('"', eq + 2);
    if (end == std::string::npos) return false;
    (*labels)[body.substr(i, eq - i)] = body.substr(eq + 2, end - eq - 2);
    i = end + 1;
    if (i < body.size() && body[i] == ',') ++i;
  }
  std::string rest = line.substr(close + 1);
  size_t a = rest.find_first_not_of(' ');
  if (a == std::string::npos) return false;
  size_t b = rest.find(' ', a);
  if (b == std::string::npos) return false;
  return absl::SimpleAtod(rest.substr(a, b - a), value) && absl::SimpleAtoi(rest.substr(b + 1), ts);
}

absl::StatusOr<std::vector<AgentData>> ReadPrometheus(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot read " + path);
  std::map<std::string, size_t> agent_of;
  std::vector<AgentData> agents;
  std::vector<std::map<std::string, uint32_t>> series_of;
  std::string line, metric;
  std::map<std::string, std::string> labels;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    double value = 0;
    int64_t ts = 0;
    if (!ParseLine(line, &metric, &labels, &value, &ts)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", n, ": not `name{labels} value ts`"));
    }
    std::string host = labels.count("host") ? labels["host"] : "loadgen";
    labels.erase("host");
    auto [it, fresh] = agent_of.emplace(host, agents.size());
    if (fresh) {
      agents.push_back({host, {}, {}});
      series_of.emplace_back();
    }
    AgentData& d = agents[it->second];
    std::string key = metric;
    for (const auto& [k, v] : labels) absl::StrAppend(&key, "\x1f", k, "=", v);
    auto [sit, new_series] =
        series_of[it->second].emplace(key, static_cast<uint32_t>(d.series.size()));
    if (new_series) d.series.push_back({metric, labels});
    d.samples.push_back({sit->second, ts, value});
  }
  return agents;
}

// One simulated agent: its own channel and stream.
Result RunAgent(const Options& o, const AgentData& d,
                std::shared_ptr<grpc::ChannelCredentials> creds) {
  Result r;
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection per agent, as in a fleet
  auto channel = grpc::CreateCustomChannel(o.collector, creds, args);
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
  hello.mutable_hello()->set_host_id(d.host);
  hello.mutable_hello()->set_agent_version("loadgen");
  bool ok = stream->Write(hello);

  std::vector<bool> defined(d.series.size(), false);
  uint64_t seq = 0;
  const size_t per_batch = static_cast<size_t>(std::max(1, o.samples_per_batch));
  for (size_t p = 0; ok && p < d.samples.size(); p += per_batch) {
    AgentMessage m;
    auto* b = m.mutable_batch();
    b->set_sequence(++seq);
    for (size_t q = p; q < std::min(d.samples.size(), p + per_batch); ++q) {
      const Sample& s = d.samples[q];
      if (!defined[s.series]) {
        auto* def = b->add_new_series();
        def->set_id(s.series + 1);
        def->set_metric(d.series[s.series].metric);
        for (const auto& [k, v] : d.series[s.series].labels) (*def->mutable_labels())[k] = v;
        defined[s.series] = true;
      }
      b->add_series_ids(s.series + 1);
      b->add_timestamps_ms(s.timestamp_ms);
      b->add_values(s.value);
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
  rollguard::bench::AddTlsFlags(app, &o.tls);
  app.add_option("--agents", o.agents, "simulated agents (one stream each)")->capture_default_str();
  app.add_option("--prefix", o.prefix, "host ids are PREFIX-N")->capture_default_str();
  app.add_option("--series-per-agent", o.series_per_agent, "series per agent")
      ->capture_default_str();
  app.add_option("--points", o.points, "points per series")->capture_default_str();
  app.add_option("--samples-per-batch", o.samples_per_batch, "samples per message")
      ->capture_default_str();
  app.add_option("--max-in-flight", o.max_in_flight, "unacknowledged batches per stream")
      ->capture_default_str();
  app.add_option("--input", o.input,
                 "replay this Prometheus text file (name{labels} value ts_ms; `host` picks the "
                 "agent) instead of generating");
  app.add_option("--write-prometheus", o.write_prometheus,
                 "write the generated samples to this file in Prometheus text and exit");
  CLI11_PARSE(app, argc, argv);

  std::vector<AgentData> agents;
  if (!o.input.empty()) {
    auto read = ReadPrometheus(o.input);
    if (!read.ok()) {
      std::fprintf(stderr, "rollguard-loadgen: %s\n", std::string(read.status().message()).c_str());
      return 2;
    }
    agents = std::move(*read);
  } else {
    agents = Generate(o);
  }
  uint64_t expected = 0, series = 0;
  for (const auto& a : agents) {
    expected += a.samples.size();
    series += a.series.size();
  }
  if (!o.write_prometheus.empty()) {
    if (!WritePrometheus(agents, o.write_prometheus)) {
      std::fprintf(stderr, "rollguard-loadgen: cannot write %s\n", o.write_prometheus.c_str());
      return 2;
    }
    std::printf("wrote %llu samples of %llu series to %s\n",
                static_cast<unsigned long long>(expected), static_cast<unsigned long long>(series),
                o.write_prometheus.c_str());
    return 0;
  }
  std::vector<Result> results(agents.size());
  // Certificates are issued before the clock starts; TLS handshakes count.
  std::vector<std::shared_ptr<grpc::ChannelCredentials>> creds;
  for (const AgentData& a : agents) {
    auto c = rollguard::bench::AgentCredentials(o.tls, a.host);
    if (!c.ok()) {
      std::fprintf(stderr, "rollguard-loadgen: tls: %s\n",
                   std::string(c.status().message()).c_str());
      return 2;
    }
    creds.push_back(*c);
  }
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (size_t i = 0; i < agents.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = RunAgent(o, agents[i], creds[i]); });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  uint64_t acked = 0, rejected = 0;
  for (const auto& r : results) {
    acked += r.acked_samples;
    rejected += r.rejected;
    if (!r.error.empty()) std::fprintf(stderr, "stream error: %s\n", r.error.c_str());
  }
  std::printf(
      "agents %zu, series %llu, samples sent %llu, acknowledged %llu, rejected batches %llu, "
      "%.2f s\n",
      agents.size(), static_cast<unsigned long long>(series),
      static_cast<unsigned long long>(expected), static_cast<unsigned long long>(acked),
      static_cast<unsigned long long>(rejected), secs);
  std::printf("acknowledged samples/s: %.0f\n", acked / secs);
  return acked == expected ? 0 : 1;
}
