// A hand-driven agent stream for tests that need exact control of what goes
// on the wire (known samples, garbage, oversized messages) against a real
// collector process. Acknowledgements are collected by a reader thread.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "rollguard/v1/agent_service.grpc.pb.h"

namespace rollguard::testing {

class RawAgentStream {
 public:
  // `credentials`: null for plaintext. `read`: false plays an agent that
  // never reads what the collector sends.
  explicit RawAgentStream(const std::string& address,
                          std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr,
                          bool read = true);
  ~RawAgentStream();

  bool Send(const rollguard::v1::AgentMessage& msg);
  bool SendHello(const std::string& host_id);
  // Ends the stream (cancelling if needed) and returns its final status.
  grpc::Status Close();

  std::set<uint64_t> accepted() const;
  std::map<uint64_t, std::string> rejected() const;
  std::map<uint64_t, rollguard::v1::BatchAck> acks() const;
  bool hello_acked() const { return hello_acked_; }
  bool ended() const { return ended_; }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<rollguard::v1::AgentService::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<
      grpc::ClientReaderWriter<rollguard::v1::AgentMessage, rollguard::v1::CollectorMessage>>
      stream_;
  std::thread reader_;
  mutable std::mutex mu_;
  std::set<uint64_t> accepted_;
  std::map<uint64_t, std::string> rejected_;
  std::map<uint64_t, rollguard::v1::BatchAck> acks_;
  std::atomic<bool> hello_acked_{false};
  std::atomic<bool> ended_{false};
  bool closed_ = false;
  grpc::Status status_;
};

}  // namespace rollguard::testing
