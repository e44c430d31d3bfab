// One agent's stream: hello first, then batches (decoded, handed to the work
// pool for a durable write, acknowledged after it), heartbeats, and command
// updates. The other way: acks, and the command manager's commands.
//
// Flow control: at most kMaxInFlight batches per stream are being written;
// beyond that the reactor stops reading, so gRPC's window fills and the agent
// waits, instead of the collector's memory growing.
//
// Identity: with TLS on, only a caller holding an agent certificate gets a
// stream, and its hello must name the host its certificate names; anything
// else is refused (PERMISSION_DENIED, logged, audited) before the registry,
// storage or the command manager hear of it.
//
// Hello deadline: a stream that has not said hello within
// limits.hello_timeout is ended (DEADLINE_EXCEEDED), so a connection that
// never speaks cannot hold a stream slot.
//
// Lifetime: gRPC calls OnDone once the RPC is over, but storage jobs and the
// hello alarm's callback may still be to come; the reactor deletes itself when
// all have happened.
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "collector/commands/agent_link.h"
#include "collector/commands/audit_log.h"
#include "collector/ingest/agent_service.h"
#include "collector/ingest/batch_decoder.h"
#include "collector/ingest/probe_downtime.h"
#include "collector/ingest/turnstile.h"
#include "common/mutex.h"

namespace rollguard::collector {

class AgentStream final
    : public grpc::ServerBidiReactor<rollguard::v1::AgentMessage, rollguard::v1::CollectorMessage>,
      public AgentLink {
 public:
  static constexpr int kMaxInFlight = 8;

  // `who`: the caller as the authenticator saw it (identities are enforced
  // when deps.auth is set; off on a plaintext loopback listener).
  AgentStream(grpc::CallbackServerContext* ctx, const AgentServiceDeps& deps,
              absl::StatusOr<Principal> who);

  void SendCommand(const rollguard::v1::Command& command) override;

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;

 private:
  void HandleHello();
  // The hello alarm's callback: `fired` false when it was cancelled.
  void OnHelloDeadline(bool fired);
  // Deletes this once OnDone, every storage job and the alarm are over.
  bool DeletableLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The hello's own checks (fields, one per stream, the certificate's host);
  // false when the stream was refused.
  bool CheckHelloLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HandleBatch();
  void HandleCommandUpdate();
  void OnStored(uint64_t sequence, const DecodedBatch& batch, absl::Status status);
  void QueueWriteLocked(rollguard::v1::CollectorMessage msg) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  void RefuseLocked(const std::string& actor, const std::string& host, grpc::Status status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Storage* const storage_;
  HostRegistry* const registry_;
  IngestListener* const listener_;
  CommandManager* const commands_;
  WorkPool* const pool_;
  IngestStats* const stats_;
  AuditLog* const audit_;
  const Clock* const clock_;
  const IngestLimits limits_;
  grpc::CallbackServerContext* const ctx_;
  const std::string peer_;
  // With TLS: the host id the caller's certificate names.
  std::optional<std::string> certified_host_;
  std::string certificate_serial_;

  rollguard::v1::AgentMessage in_;      // owned by the single outstanding read
  std::optional<StreamSeries> series_;  // set by hello; used only from OnReadDone
  // The storage jobs derive probe downtime one at a time, in batch order.
  Turnstile batch_order_;
  ProbeDowntime downtime_;  // only inside batch_order_.Pass

  Mutex mu_;
  std::deque<rollguard::v1::CollectorMessage> writes_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool cut_off_ ABSL_GUARDED_BY(mu_) = false;  // over max_queued_writes: cancelled
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool hello_seen_ ABSL_GUARDED_BY(mu_) = false;
  bool alarm_pending_ ABSL_GUARDED_BY(mu_) = false;  // its callback is still to run
  grpc::Alarm hello_alarm_;
  std::optional<grpc::Status> failure_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rollguard::collector
