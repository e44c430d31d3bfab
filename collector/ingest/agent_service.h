// The AgentService: one reactor per agent stream on gRPC's callback API, so a
// fixed pool of library threads serves thousands of streams (the sync API
// would hold a thread per stream). Storage writes run on our own WorkPool,
// never inside a reaction.
#pragma once

#include <atomic>
#include <cstdint>

#include "collector/auth/authenticator.h"
#include "collector/commands/audit_log.h"
#include "collector/commands/command_manager.h"
#include "collector/ingest/ingest_limits.h"
#include "collector/ingest/ingest_listener.h"
#include "collector/ingest/work_pool.h"
#include "collector/registry/host_registry.h"
#include "collector/storage/storage.h"
#include "rollguard/v1/agent_service.grpc.pb.h"

namespace rollguard::collector {

struct IngestStats {
  std::atomic<uint64_t> samples_stored{0};
  std::atomic<uint64_t> batches_stored{0};
  std::atomic<uint64_t> batches_rejected{0};
  std::atomic<uint64_t> streams_open{0};
  // Bounds hit (ingest_limits.h): samples outside the time window, streams
  // refused over max_streams or max_streams_per_host, streams cut off over
  // max_queued_writes, streams ended for no hello within hello_timeout.
  std::atomic<uint64_t> samples_refused{0};
  std::atomic<uint64_t> streams_refused{0};
  std::atomic<uint64_t> streams_cut_off{0};
  std::atomic<uint64_t> streams_without_hello{0};
  // When a batch was last stored (HA status shows each member's).
  std::atomic<int64_t> last_stored_ms{0};
};

struct AgentServiceDeps {
  Storage* storage = nullptr;
  HostRegistry* registry = nullptr;
  IngestListener* listener = nullptr;  // told of hellos and stored samples
  CommandManager* commands = nullptr;
  WorkPool* pool = nullptr;
  IngestStats* stats = nullptr;
  AuditLog* audit = nullptr;  // may be null (refusals are then only logged)
  const Clock* clock = &Clock::Real();
  IngestLimits limits;
  // Null: plaintext loopback mode, any caller may stream as any host.
  const Authenticator* auth = nullptr;
};

class AgentServiceImpl final : public rollguard::v1::AgentService::CallbackService {
 public:
  explicit AgentServiceImpl(AgentServiceDeps deps) : deps_(deps) {}

  grpc::ServerBidiReactor<rollguard::v1::AgentMessage, rollguard::v1::CollectorMessage>* Connect(
      grpc::CallbackServerContext* context) override;

 private:
  const AgentServiceDeps deps_;
};

}  // namespace rollguard::collector
