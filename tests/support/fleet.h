// Real rollguard processes for end-to-end tests on 127.0.0.1: a collector on a
// picked port with its own RocksDB folder, agents pointed at it, and the CLI
// run as a user would run it (with -o json parsed back into the API's protos).
#pragma once

#include <google/protobuf/message.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/process.h"

namespace rollguard::testing {

class CollectorUnderTest {
 public:
  // Starts rollguard-collector with --data-dir `data_dir` on 127.0.0.1:`port`
  // (0 = any free port) and waits until it serves.
  static absl::StatusOr<std::unique_ptr<CollectorUnderTest>> Start(
      const std::string& work_dir, const std::string& data_dir, int port = 0,
      const std::vector<std::string>& extra_args = {});

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  ChildProcess& process() { return *process_; }

 private:
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

// Starts rollguard-agent with a generated config (fast interval and reconnect,
// so tests run in seconds) plus `extra_yaml` appended to it (an `interval:`
// at its start replaces the 200 ms one).
absl::StatusOr<std::unique_ptr<ChildProcess>> StartAgent(const std::string& work_dir,
                                                         const std::string& collector,
                                                         const std::string& host_id,
                                                         const std::string& extra_yaml = "");

// A UDP port on 127.0.0.1 that was free a moment ago (for an agent's StatsD).
int PickFreeUdpPort();
// A TCP port on 127.0.0.1 that was free a moment ago (for a helper server).
int PickFreeTcpPort();

// Starts the fake MCP/Discord server (tests/fakes) on a free port.
absl::StatusOr<std::unique_ptr<ChildProcess>> StartFakeMcp(const std::string& work_dir, int* port);

// GETs http://127.0.0.1:PORT/PATH; returns the body, or an error.
absl::StatusOr<std::string> HttpGet(int port, const std::string& path);

// Waits (up to 15 s) until the collector has memory_usage history for `host`,
// i.e. the host's agent is connected and its samples are stored.
bool WaitUntilReporting(const std::string& collector, const std::string& host);

// Runs `rollguard --collector ADDR ARGS...` (killed after `timeout`).
CommandResult RunCli(const std::string& collector, const std::vector<std::string>& args,
                     absl::Duration timeout = absl::Seconds(30));

// Runs the CLI with -o json and parses its output into `out`.
absl::Status RunCliJson(const std::string& collector, const std::vector<std::string>& args,
                        google::protobuf::Message* out);

}  // namespace rollguard::testing
