#include "tests/support/raw_agent.h"

namespace rollguard::testing {

RawAgentStream::RawAgentStream(const std::string& address,
                               std::shared_ptr<grpc::ChannelCredentials> credentials, bool read) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 * 1024 * 1024);
  channel_ = grpc::CreateCustomChannel(
      address, credentials ? credentials : grpc::InsecureChannelCredentials(), args);
  stub_ = rollguard::v1::AgentService::NewStub(channel_);
  stream_ = stub_->Connect(&ctx_);
  if (!read) return;
  reader_ = std::thread([this] {
    rollguard::v1::CollectorMessage in;
    while (stream_->Read(&in)) {
      if (in.has_hello_ack()) hello_acked_ = true;
      if (in.has_batch_ack()) {
        std::lock_guard<std::mutex> lock(mu_);
        acks_[in.batch_ack().sequence()] = in.batch_ack();
        if (in.batch_ack().accepted()) {
          accepted_.insert(in.batch_ack().sequence());
        } else {
          rejected_[in.batch_ack().sequence()] = in.batch_ack().error();
        }
      }
    }
    ended_ = true;
  });
}

RawAgentStream::~RawAgentStream() { Close(); }

bool RawAgentStream::Send(const rollguard::v1::AgentMessage& msg) { return stream_->Write(msg); }

bool RawAgentStream::SendHello(const std::string& host_id) {
  rollguard::v1::AgentMessage m;
  m.mutable_hello()->set_host_id(host_id);
  m.mutable_hello()->set_agent_version("test");
  return Send(m);
}

grpc::Status RawAgentStream::Close() {
  if (closed_) return status_;
  closed_ = true;
  stream_->WritesDone();
  // Give the collector a moment to acknowledge what is in flight, then cancel.
  for (int i = 0; i < 100 && !ended_; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!ended_) ctx_.TryCancel();
  if (reader_.joinable()) reader_.join();
  status_ = stream_->Finish();
  return status_;
}

std::set<uint64_t> RawAgentStream::accepted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return accepted_;
}

std::map<uint64_t, rollguard::v1::BatchAck> RawAgentStream::acks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acks_;
}

std::map<uint64_t, std::string> RawAgentStream::rejected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rejected_;
}

}  // namespace rollguard::testing
