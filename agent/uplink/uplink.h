// The agent's one long-lived gRPC stream to the collector: sends a hello, then
// batches from the buffer (each series' definition once per stream) and
// heartbeats; removes batches from the buffer as the collector acknowledges
// them. Reconnects with exponential backoff and jitter, resending everything
// unacknowledged.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agent/buffer/sample_buffer.h"
#include "agent/buffer/series_registry.h"
#include "common/clock.h"
#include "common/labels.h"
#include "common/mutex.h"
#include "common/tls/grpc_tls.h"
#include "rollguard/v1/agent_service.grpc.pb.h"

namespace rollguard::agent {

struct UplinkOptions {
  std::string collector;
  // This uplink's cursor in the shared buffer (one per collector).
  int consumer = 0;
  // TLS to the collector (common/tls/grpc_tls.h); plaintext when not enabled.
  // The files are read again for every new connection, so a rotated
  // certificate is used from the next one on; the open stream is untouched.
  TlsFiles tls;
  std::string host_id;
  Labels labels;
  std::string agent_version;
  std::string instance_id;
  absl::Duration heartbeat_interval = absl::Seconds(5);
  absl::Duration reconnect_initial = absl::Milliseconds(200);
  absl::Duration reconnect_max = absl::Seconds(30);
  size_t max_in_flight = 64;  // batches sent but not yet acknowledged
  // Announced in the hello: the playbooks this agent will run.
  std::vector<std::string> playbooks;
  // Called on the stream's reader thread for each command; must not block.
  std::function<void(rollguard::v1::Command)> on_command;
};

// Thread-safe: Start/Stop from the owner; counters from anywhere.
class Uplink {
 public:
  // `clock`: heartbeats, their timestamps and reconnect waits.
  Uplink(UplinkOptions options, SeriesRegistry* registry, SampleBuffer* buffer,
         const Clock* clock = &Clock::Real());
  ~Uplink();

  void Start();
  // Idempotent; safe without Start. Cancels the stream and joins the thread.
  void Stop();

  // Queues a command's progress for the collector; sent ahead of samples, and
  // kept across reconnects until written. Thread-safe.
  void SendCommandUpdate(rollguard::v1::CommandUpdate update);

  bool connected() const { return connected_.load(); }
  const std::string& collector() const { return options_.collector; }
  uint64_t rejected_batches() const { return rejected_.load(); }
  // Samples the collector left out of accepted batches (their timestamps).
  uint64_t refused_samples() const { return refused_samples_.load(); }
  uint64_t reconnects() const { return reconnects_.load(); }

 private:
  void Run();
  // A new channel for the next connection attempt (with freshly read TLS
  // files), so neither gRPC's own reconnect backoff nor a channel wedged by
  // a half-done TLS handshake stands between the agent and a collector that
  // is back.
  void Dial();
  using AgentStream =
      grpc::ClientReaderWriter<rollguard::v1::AgentMessage, rollguard::v1::CollectorMessage>;
  // One connection: hello, then a reader thread (ReadReplies) and this
  // thread writing (WriteUntilBroken) until either side ends it.
  absl::Status RunStream(bool* got_hello_ack);
  rollguard::v1::AgentMessage Hello() const;
  // Acks, hello acks and commands, until the stream ends.
  void ReadReplies(AgentStream* stream, bool* got_hello_ack);
  // To the executor; refused at once when this agent has no playbooks.
  void OnCommand(rollguard::v1::Command command);
  // Heartbeats, control messages and batches, until the stream breaks or Stop.
  void WriteUntilBroken(AgentStream* stream);
  // Writes queued control messages; false when the stream broke.
  bool WriteControl(AgentStream* stream);
  bool BuildBatch(const Batch& batch, std::vector<bool>* defined, rollguard::v1::AgentMessage* msg);

  const UplinkOptions options_;
  const Clock* const clock_;
  SeriesRegistry* const registry_;
  SampleBuffer* const buffer_;
  grpc::ChannelArguments channel_args_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;  // the last that could be made
  std::shared_ptr<grpc::Channel> channel_;                 // only the Run thread touches these
  std::unique_ptr<rollguard::v1::AgentService::Stub> stub_;

  Mutex mu_;
  grpc::ClientContext* current_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Numbered, so the writer pops exactly what it wrote.
  std::deque<std::pair<uint64_t, rollguard::v1::AgentMessage>> control_ ABSL_GUARDED_BY(mu_);
  uint64_t next_control_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;

  std::atomic<bool> connected_{false};
  std::atomic<bool> stream_broken_{false};
  std::atomic<bool> redefine_series_{false};
  std::atomic<uint64_t> rejected_{0};
  std::atomic<uint64_t> refused_samples_{0};
  std::atomic<uint64_t> reconnects_{0};
};

}  // namespace rollguard::agent
