// How the command manager reaches a connected agent: its stream. Implemented
// by the ingest side's AgentStream; registered on hello, unregistered when the
// stream ends, so the manager never writes to a stream that is gone.
#pragma once

#include "rollguard/v1/commands.pb.h"

namespace rollguard::collector {

class AgentLink {
 public:
  virtual ~AgentLink() = default;
  // Queues the command on the stream; never blocks. A stream that is closing
  // drops it (the command is redelivered on the agent's next hello).
  virtual void SendCommand(const rollguard::v1::Command& command) = 0;
};

}  // namespace rollguard::collector
