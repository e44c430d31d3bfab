#include "agent/uplink/uplink.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "common/backoff.h"
#include "common/clock.h"
#include "common/grpc_status.h"
#include "common/mutex.h"

namespace rollguard::agent {

using rollguard::v1::AgentMessage;
using rollguard::v1::CollectorMessage;

namespace {
// Keep each message far below gRPC's 4 MB default: ~16 bytes a sample.
constexpr size_t kBatchesPerWrite = 16;
// Command updates waiting for a connection; the oldest step updates go first
// (a command's final update repeats all its steps).
constexpr size_t kMaxControlQueued = 10000;
}  // namespace

Uplink::Uplink(UplinkOptions options, SeriesRegistry* registry, SampleBuffer* buffer,
               const Clock* clock)
    : options_(std::move(options)), clock_(clock), registry_(registry), buffer_(buffer) {
  grpc::ChannelArguments& args = channel_args_;
  // The channel's own reconnect backoff must not outlast ours.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options_.reconnect_initial)));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options_.reconnect_max)));
  // gRPC also uses the "min reconnect backoff" as the time one connection
  // attempt may take (TCP + TLS handshake): at 200 ms a TLS handshake on a
  // busy host was cut off again and again.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 10000);
  // Notice a dead collector (or a cut network) within ~30 s even when idle.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  // Each Dial gets its own connection, not one shared with an older channel.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
}

void Uplink::Dial() {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
      MakeChannelCredentials(options_.tls);
  if (creds.ok()) {
    credentials_ = *creds;
  } else if (credentials_ != nullptr) {
    // Mid-rotation (a file half replaced): the last good files still work.
    spdlog::warn("tls: {}; connecting with the files read before", creds.status().ToString());
  } else {
    spdlog::error("tls: {}", creds.status().ToString());
    credentials_ = grpc::InsecureChannelCredentials();  // refused by a TLS collector, and said
  }
  channel_ = grpc::CreateCustomChannel(options_.collector, credentials_, channel_args_);
  stub_ = rollguard::v1::AgentService::NewStub(channel_);
}

Uplink::~Uplink() { Stop(); }

void Uplink::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Uplink::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    if (current_ != nullptr) current_->TryCancel();
  }
  buffer_->Wake();
  if (thread_.joinable()) thread_.join();
}

void Uplink::SendCommandUpdate(rollguard::v1::CommandUpdate update) {
  {
    MutexLock lock(&mu_);
    if (control_.size() >= kMaxControlQueued) {
      spdlog::warn("collector unreachable: dropping an old command update ({} queued)",
                   control_.size());
      control_.pop_front();
    }
    AgentMessage msg;
    *msg.mutable_command_update() = std::move(update);
    control_.emplace_back(next_control_++, std::move(msg));
  }
  buffer_->Wake();
}

bool Uplink::WriteControl(AgentStream* stream) {
  while (true) {
    std::pair<uint64_t, AgentMessage> next;
    {
      MutexLock lock(&mu_);
      if (control_.empty()) return true;
      next = control_.front();
    }
    if (!stream->Write(next.second)) return false;
    MutexLock lock(&mu_);
    // The bound may have pushed it out meanwhile.
    if (!control_.empty() && control_.front().first == next.first) control_.pop_front();
  }
}

void Uplink::Run() {
  Backoff backoff(options_.reconnect_initial, options_.reconnect_max);
  while (true) {
    bool got_ack = false;
    absl::Status s = RunStream(&got_ack);
    connected_ = false;
    {
      MutexLock lock(&mu_);
      if (stopping_) return;
    }
    if (got_ack) backoff.Reset();
    absl::Duration wait = backoff.Next();
    ++reconnects_;
    if (absl::IsPermissionDenied(s) || absl::IsUnauthenticated(s)) {
      // Retrying fast cannot fix an identity the collector refuses; it would
      // only fill the collector's audit log. Samples stay buffered meanwhile.
      wait = options_.reconnect_max;
      spdlog::error(
          "collector {} refused this agent ({}); check --host-id and the TLS "
          "certificate; retrying in {}s ({} samples buffered)",
          options_.collector, std::string(s.message()), absl::ToInt64Seconds(wait),
          buffer_->buffered_samples());
    } else {
      spdlog::warn("collector {}: stream ended ({}); reconnecting in {}ms ({} samples buffered)",
                   options_.collector, s.ToString(), absl::ToInt64Milliseconds(wait),
                   buffer_->buffered_samples());
    }
    MutexLock lock(&mu_);
    // Sleep, but wake at once on Stop.
    absl::Time until = clock_->Now() + wait;
    while (!stopping_ && clock_->Now() < until) {
      lock.Unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(
          50, std::max<int64_t>(1, absl::ToInt64Milliseconds(until - clock_->Now())))));
      lock.Lock();
    }
    if (stopping_) return;
  }
}

bool Uplink::BuildBatch(const Batch& batch, std::vector<bool>* defined, AgentMessage* msg) {
  auto* out = msg->mutable_batch();
  out->set_sequence(batch.sequence);
  out->mutable_series_ids()->Reserve(static_cast<int>(batch.samples.size()));
  out->mutable_timestamps_ms()->Reserve(static_cast<int>(batch.samples.size()));
  out->mutable_values()->Reserve(static_cast<int>(batch.samples.size()));
  for (const BufferedSample& s : batch.samples) {
    if (s.series_id >= defined->size()) defined->resize(s.series_id + 1, false);
    if (!(*defined)[s.series_id]) {
      if (!registry_->Definition(s.series_id, out->add_new_series())) return false;
      (*defined)[s.series_id] = true;
    }
    out->add_series_ids(s.series_id);
    out->add_timestamps_ms(s.timestamp_ms);
    out->add_values(s.value);
  }
  return true;
}

absl::Status Uplink::RunStream(bool* got_hello_ack) {
  grpc::ClientContext ctx;
  {
    MutexLock lock(&mu_);
    if (stopping_) return absl::CancelledError("stopping");
    current_ = &ctx;
  }
  struct ClearCurrent {
    Uplink* self;
    ~ClearCurrent() {
      MutexLock lock(&self->mu_);
      self->current_ = nullptr;
    }
  } clear{this};

  Dial();  // a fresh channel (and TLS files) for every attempt
  auto stream = stub_->Connect(&ctx);
  stream_broken_ = false;
  redefine_series_ = false;
  buffer_->MarkAllUnsent(options_.consumer);

  std::atomic<bool> reader_done{false};
  std::thread reader;
  if (stream->Write(Hello())) {
    reader = std::thread([&] {
      ReadReplies(stream.get(), got_hello_ack);
      reader_done = true;
      stream_broken_ = true;
      buffer_->Wake();
    });
    WriteUntilBroken(stream.get());
  }
  // Half-close, then make sure the reader ends before Finish.
  stream->WritesDone();
  {
    MutexLock lock(&mu_);
    // Without a reader the stream never started: keep Finish's real error.
    if (reader.joinable() && (stopping_ || !reader_done)) ctx.TryCancel();
  }
  if (reader.joinable()) reader.join();
  return FromGrpcStatus(stream->Finish());
}

AgentMessage Uplink::Hello() const {
  AgentMessage hello;
  auto* h = hello.mutable_hello();
  h->set_host_id(options_.host_id);
  for (const auto& [k, v] : options_.labels) (*h->mutable_labels())[k] = v;
  h->set_agent_version(options_.agent_version);
  h->set_instance_id(options_.instance_id);
  h->set_agent_time_ms(clock_->NowMs());
  for (const std::string& p : options_.playbooks) h->add_playbooks(p);
  return hello;
}

void Uplink::ReadReplies(AgentStream* stream, bool* got_hello_ack) {
  CollectorMessage in;
  while (stream->Read(&in)) {
    if (in.has_hello_ack()) {
      *got_hello_ack = true;
      connected_ = true;
      spdlog::info("connected to collector {} as host '{}' ({} samples buffered)",
                   options_.collector, options_.host_id, buffer_->buffered_samples());
    } else if (in.has_batch_ack()) {
      const auto& ack = in.batch_ack();
      if (!ack.accepted()) {
        ++rejected_;
        redefine_series_ = true;
        spdlog::error("collector rejected batch {}: {}", ack.sequence(), ack.error());
      } else if (ack.samples_refused() > 0) {
        // Stored without them; resending would be refused again.
        refused_samples_ += ack.samples_refused();
        spdlog::warn("collector refused {} sample(s) of batch {}: {} (is this host's clock right?)",
                     ack.samples_refused(), ack.sequence(), ack.refused_reason());
      }
      buffer_->Remove(ack.sequence(), options_.consumer);
    } else if (in.has_command()) {
      OnCommand(std::move(*in.mutable_command()));
    }
  }
}

void Uplink::OnCommand(rollguard::v1::Command command) {
  if (options_.on_command) {
    options_.on_command(std::move(command));
    return;
  }
  // No playbooks here: answer at once so the collector does not wait.
  rollguard::v1::CommandUpdate refused;
  refused.set_command_id(command.id());
  refused.set_state(rollguard::v1::REFUSED);
  refused.set_error("this agent has no playbooks configured (no service: in its config)");
  SendCommandUpdate(std::move(refused));
}

void Uplink::WriteUntilBroken(AgentStream* stream) {
  std::vector<bool> defined;
  // The first heartbeat goes out right after the hello, then one per interval,
  // so the collector always knows the agent's buffer and drop counts.
  absl::Time last_heartbeat = absl::InfinitePast();
  while (!stream_broken_) {
    {
      MutexLock lock(&mu_);
      if (stopping_) return;
    }
    if (clock_->Now() - last_heartbeat >= options_.heartbeat_interval) {
      AgentMessage hb;
      hb.mutable_heartbeat()->set_timestamp_ms(clock_->NowMs());
      hb.mutable_heartbeat()->set_buffered_samples(buffer_->buffered_samples());
      hb.mutable_heartbeat()->set_dropped_samples(buffer_->dropped_samples());
      if (!stream->Write(hb)) return;
      last_heartbeat = clock_->Now();
    }
    if (!WriteControl(stream)) return;
    std::vector<Batch> batches = buffer_->TakeUnsent(
        kBatchesPerWrite, options_.max_in_flight,
        last_heartbeat + options_.heartbeat_interval - clock_->Now(), options_.consumer);
    for (const Batch& b : batches) {
      if (redefine_series_.exchange(false)) defined.clear();
      AgentMessage msg;
      if (!BuildBatch(b, &defined, &msg)) {
        spdlog::error("batch {} names an unknown series; dropped", b.sequence);
        buffer_->Remove(b.sequence, options_.consumer);
        continue;
      }
      if (!stream->Write(msg)) return;
    }
  }
}

}  // namespace rollguard::agent
