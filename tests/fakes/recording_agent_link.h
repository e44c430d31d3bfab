// An AgentLink that records the commands sent to it, and when the last one
// went: the agent's side of a stream, for tests and benchmarks of the
// collector's command path without a gRPC stream.
#pragma once

#include <chrono>
#include <vector>

#include "collector/commands/agent_link.h"

namespace rollguard::testing {

class RecordingAgentLink : public collector::AgentLink {
 public:
  void SendCommand(const rollguard::v1::Command& command) override {
    last_sent_at = std::chrono::steady_clock::now();
    sent.push_back(command);
  }
  std::vector<rollguard::v1::Command> sent;
  std::chrono::steady_clock::time_point last_sent_at;
};

}  // namespace rollguard::testing
