// HTTP probes of upstream APIs (the MCP server, Discord's gateway, anything
// else) with libcurl. Each probe runs on its own thread at its own interval,
// so a slow upstream never delays sampling or the stream. Each run yields
// probe_up, probe_response_time_ms and probe_status_code labelled probe=<name>.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agent/sources/periodic_threads.h"
#include "agent/sources/reading.h"
#include "common/mutex.h"

namespace rollguard::agent {

enum class ProbeKind { kHttp, kMcp, kDiscord };

struct ProbeConfig {
  std::string name;  // becomes the probe label and <name>_downtime at the collector
  ProbeKind kind = ProbeKind::kHttp;
  std::string method = "GET";
  std::string url;
  std::map<std::string, std::string> headers;
  std::string body;
  absl::Duration timeout = absl::Seconds(5);
  absl::Duration interval = absl::Seconds(30);
  int expect_status = 200;
  std::string expect_body_contains;  // kHttp only; empty = no check
  bool tls_verify = true;
};

// Fills method, body and headers for the ready-made kinds where not set.
void ApplyProbeKindDefaults(ProbeConfig* probe);

struct ProbeResult {
  bool up = false;
  double response_time_ms = 0;
  int status_code = 0;  // 0: no HTTP response at all
  std::string error;    // why it is down
};

// One blocking request with the probe's timeout.
ProbeResult RunProbe(const ProbeConfig& probe);

// Runs every probe on its own thread, handing readings to `emit`
// (which must be thread-safe).
class Prober {
 public:
  using Emit = std::function<void(Readings, int64_t timestamp_ms)>;
  Prober(std::vector<ProbeConfig> probes, Emit emit);
  ~Prober();
  void Start();
  void Stop();  // idempotent; interrupts waits, joins (a running request ends by its timeout)

 private:
  void Loop(const ProbeConfig& probe);

  std::vector<ProbeConfig> probes_;
  Emit emit_;
  PeriodicThreads threads_;
};

}  // namespace rollguard::agent
