#include "collector/ingest/agent_stream.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "collector/ingest/hello_check.h"
#include "common/mutex.h"

namespace rollguard::collector {

using rollguard::v1::CollectorMessage;

AgentStream::AgentStream(grpc::CallbackServerContext* ctx, const AgentServiceDeps& deps,
                         absl::StatusOr<Principal> who)
    : storage_(deps.storage),
      registry_(deps.registry),
      listener_(deps.listener),
      commands_(deps.commands),
      pool_(deps.pool),
      stats_(deps.stats),
      audit_(deps.audit),
      clock_(deps.clock),
      limits_(deps.limits),
      ctx_(ctx),
      peer_(ctx->peer()),
      downtime_(deps.storage) {
  const uint64_t open = ++stats_->streams_open;
  MutexLock lock(&mu_);
  if (open > limits_.max_streams) {
    ++stats_->streams_refused;
    FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                              absl::StrCat("the collector has ", limits_.max_streams,
                                           " agent streams open (max_streams); retry later")));
    return;
  }
  if (!who.ok()) {
    FinishLocked(
        grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(who.status().message())));
    return;
  }
  if (who->kind != PrincipalKind::kLocal) {
    if (who->kind != PrincipalKind::kAgent) {
      RefuseLocked(who->Display(), "",
                   grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                absl::StrCat(who->Display(),
                                             " is not an agent: streaming needs an agent "
                                             "certificate (`rollguard pki agent HOST_ID`)")));
      return;
    }
    certified_host_ = who->name;
    certificate_serial_ = who->certificate_serial;
  }
  StartReadLocked();
  alarm_pending_ = true;
  hello_alarm_.Set(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(absl::ToInt64Milliseconds(limits_.hello_timeout)),
                   [this](bool fired) { OnHelloDeadline(fired); });
}

void AgentStream::OnHelloDeadline(bool fired) {
  bool delete_now = false;
  {
    MutexLock lock(&mu_);
    alarm_pending_ = false;
    if (fired && !hello_seen_ && !finished_) {
      ++stats_->streams_without_hello;
      FinishLocked(
          grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                       absl::StrCat("no hello within ", absl::FormatDuration(limits_.hello_timeout),
                                    " of connecting (ingest.hello_timeout)")));
    }
    delete_now = DeletableLocked();
  }
  if (delete_now) delete this;
}

bool AgentStream::DeletableLocked() const { return done_ && in_flight_ == 0 && !alarm_pending_; }

void AgentStream::RefuseLocked(const std::string& actor, const std::string& host,
                               grpc::Status status) {
  spdlog::warn("refused agent stream from {} ({}): {}", actor, peer_, status.error_message());
  if (audit_ != nullptr) {
    rollguard::v1::AuditRecord r;
    r.set_at_ms(clock_->NowMs());
    r.set_actor(actor);
    r.set_action("denied");
    r.set_host_id(host);
    r.set_reason("agent stream");
    r.set_outcome(absl::StrCat("refused: ", status.error_message()));
    audit_->Record(r);
  }
  FinishLocked(std::move(status));
}

void AgentStream::StartReadLocked() {
  if (finished_ || reads_done_ || reading_) return;
  reading_ = true;
  in_.Clear();
  StartRead(&in_);
}

void AgentStream::OnReadDone(bool ok) {
  {
    MutexLock lock(&mu_);
    reading_ = false;
    if (!ok) {
      // The agent half-closed or the stream broke: finish once writes drain.
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    if (finished_) return;
  }
  switch (in_.kind_case()) {
    case rollguard::v1::AgentMessage::kHello:
      HandleHello();
      break;
    case rollguard::v1::AgentMessage::kBatch:
      HandleBatch();
      break;
    case rollguard::v1::AgentMessage::kCommandUpdate:
      HandleCommandUpdate();
      break;
    case rollguard::v1::AgentMessage::kHeartbeat: {
      MutexLock lock(&mu_);
      if (!series_) {
        FinishLocked(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                  "the first message on a stream must be a hello"));
        return;
      }
      registry_->OnSeen(series_->host_id(), &in_.heartbeat());
      StartReadLocked();
      break;
    }
    default: {
      MutexLock lock(&mu_);
      FinishLocked(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                "message with no known kind (newer agent?)"));
    }
  }
}

void AgentStream::HandleHello() {
  const auto& hello = in_.hello();  // in_ is not reused before the next read
  {
    MutexLock lock(&mu_);
    if (!CheckHelloLocked()) return;
  }
  // The registry writes the host's record: storage I/O, so never under mu_
  // (the hello alarm, the write path and the command manager all take it).
  if (absl::Status s = registry_->OnConnect(hello, limits_.max_streams_per_host); !s.ok()) {
    const bool over_limit = absl::IsResourceExhausted(s);
    if (over_limit) ++stats_->streams_refused;
    MutexLock lock(&mu_);
    FinishLocked(grpc::Status(
        over_limit ? grpc::StatusCode::RESOURCE_EXHAUSTED : grpc::StatusCode::UNAVAILABLE,
        std::string(s.message())));
    return;
  }
  {
    MutexLock lock(&mu_);
    // Set even when the stream ended meanwhile (its hello deadline, a cut
    // off): OnDone then tells the registry and the command manager it left.
    series_.emplace(hello.host_id(), storage_, limits_);
    hello_seen_ = true;
    if (finished_) return;
    CollectorMessage ack;
    ack.mutable_hello_ack()->set_collector_version(ROLLGUARD_VERSION);
    QueueWriteLocked(std::move(ack));
  }
  hello_alarm_.Cancel();  // not under mu_: its callback takes mu_
  listener_->OnHostHello(hello.host_id(), Labels(hello.labels().begin(), hello.labels().end()));
  spdlog::info("agent connected: host '{}' version {} from {}{}", hello.host_id(),
               hello.agent_version(), peer_,
               certificate_serial_.empty()
                   ? std::string()
                   : absl::StrCat(" (certificate serial ", certificate_serial_, ")"));
  // Queued and unfinished commands for this host go out after the hello ack.
  commands_->OnAgentConnected(
      hello.host_id(), std::vector<std::string>(hello.playbooks().begin(), hello.playbooks().end()),
      this);
  MutexLock lock(&mu_);
  StartReadLocked();
}

bool AgentStream::CheckHelloLocked() {
  const auto& hello = in_.hello();
  if (series_) {
    FinishLocked(
        grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "a second hello on one stream"));
    return false;
  }
  if (absl::Status s = CheckHello(hello, limits_); !s.ok()) {
    FinishLocked(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(s.message())));
    return false;
  }
  if (certified_host_ && hello.host_id() != *certified_host_) {
    // Nothing of this stream reaches the registry, storage or commands: the
    // real host's agent keeps its stream and its commands.
    RefuseLocked(
        absl::StrCat("agent:", *certified_host_), hello.host_id(),
        grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                     absl::StrCat("hello claims host '", hello.host_id(),
                                  "' but the certificate is for host '", *certified_host_, "'")));
    return false;
  }
  return true;
}

void AgentStream::HandleCommandUpdate() {
  {
    MutexLock lock(&mu_);
    if (!series_) {
      FinishLocked(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                "the first message on a stream must be a hello"));
      return;
    }
  }
  // Never under mu_: the manager may call SendCommand, which takes it.
  registry_->OnSeen(series_->host_id(), nullptr);
  commands_->OnUpdate(series_->host_id(), in_.command_update());
  MutexLock lock(&mu_);
  StartReadLocked();
}

void AgentStream::SendCommand(const rollguard::v1::Command& command) {
  CollectorMessage msg;
  *msg.mutable_command() = command;
  MutexLock lock(&mu_);
  QueueWriteLocked(std::move(msg));
}

void AgentStream::HandleBatch() {
  const auto& batch = in_.batch();
  DecodedBatch decoded_batch;
  absl::Status decoded = absl::OkStatus();
  {
    MutexLock lock(&mu_);
    if (!series_) {
      FinishLocked(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                "the first message on a stream must be a hello"));
      return;
    }
  }
  // series_ is touched only here, and reads are serial, so no lock is needed.
  decoded = series_->Decode(batch, WindowAt(clock_->NowMs(), limits_), &decoded_batch);
  registry_->OnSeen(series_->host_id(), nullptr);
  if (decoded.ok() && decoded_batch.refused > 0) {
    stats_->samples_refused += decoded_batch.refused;
    registry_->OnRefused(series_->host_id(), decoded_batch.refused, decoded_batch.refused_reason);
  }
  MutexLock lock(&mu_);
  if (!decoded.ok()) {
    ++stats_->batches_rejected;
    spdlog::warn("host '{}': rejected {}", series_->host_id(), std::string(decoded.message()));
    CollectorMessage nack;
    nack.mutable_batch_ack()->set_sequence(batch.sequence());
    nack.mutable_batch_ack()->set_accepted(false);
    nack.mutable_batch_ack()->set_error(std::string(decoded.message()));
    QueueWriteLocked(std::move(nack));
    StartReadLocked();
    return;
  }
  ++in_flight_;
  uint64_t seq = batch.sequence();
  const uint64_t ticket = batch_order_.Take();
  pool_->Submit([this, seq, ticket, d = std::move(decoded_batch)]() mutable {
    std::vector<StoredSample>& samples = d.samples;
    batch_order_.Pass(ticket, [&] {
      downtime_.Track(d.new_probes);
      downtime_.Derive(&samples);
    });
    absl::Status s = storage_->Append(samples);
    // Rules see a sample once it is durable, still off gRPC's threads.
    if (s.ok()) listener_->OnStored(samples);
    OnStored(seq, d, std::move(s));
  });
  if (in_flight_ < kMaxInFlight) {
    StartReadLocked();
  } else {
    read_paused_ = true;
  }
}

void AgentStream::OnStored(uint64_t sequence, const DecodedBatch& batch, absl::Status status) {
  const auto samples = static_cast<uint32_t>(batch.samples.size());
  bool delete_now = false;
  {
    MutexLock lock(&mu_);
    --in_flight_;
    if (status.ok()) {
      stats_->samples_stored += samples;
      ++stats_->batches_stored;
      stats_->last_stored_ms.store(clock_->NowMs(), std::memory_order_relaxed);
      CollectorMessage ack;
      ack.mutable_batch_ack()->set_sequence(sequence);
      ack.mutable_batch_ack()->set_accepted(true);
      ack.mutable_batch_ack()->set_samples_stored(samples);
      ack.mutable_batch_ack()->set_samples_refused(batch.refused);
      ack.mutable_batch_ack()->set_refused_reason(batch.refused_reason);
      QueueWriteLocked(std::move(ack));
    } else if (!failure_) {
      // Not the agent's fault: end the stream so it resends after reconnecting.
      spdlog::error("storing batch {} failed: {}", sequence, status.ToString());
      failure_ = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              absl::StrCat("collector storage: ", status.message()));
      reads_done_ = true;
    }
    if (read_paused_ && in_flight_ < kMaxInFlight) {
      read_paused_ = false;
      StartReadLocked();
    }
    MaybeFinishLocked();
    delete_now = DeletableLocked();
  }
  if (delete_now) delete this;
}

void AgentStream::QueueWriteLocked(CollectorMessage msg) {
  if (finished_ || cut_off_) return;
  if (writes_.size() >= limits_.max_queued_writes) {
    // The agent does not read what it is sent (or reads too slowly to keep
    // up): cut it off rather than buffer for it without end. What was not
    // acknowledged it resends after reconnecting.
    cut_off_ = true;
    ++stats_->streams_cut_off;
    spdlog::warn(
        "agent stream from {}: {} messages waiting to be written (max_queued_writes): "
        "cutting it off",
        peer_, writes_.size());
    reads_done_ = true;
    ctx_->TryCancel();
    return;
  }
  writes_.push_back(std::move(msg));
  if (!writing_) {
    writing_ = true;
    StartWrite(&writes_.front());
  }
}

void AgentStream::OnWriteDone(bool ok) {
  MutexLock lock(&mu_);
  writes_.pop_front();
  if (!ok) {
    // The agent is gone; what it did not get acknowledged it will resend.
    writes_.clear();
    writing_ = false;
    reads_done_ = true;
    MaybeFinishLocked();
    return;
  }
  if (!writes_.empty() && !finished_) {
    StartWrite(&writes_.front());
  } else {
    writing_ = false;
    MaybeFinishLocked();
  }
}

void AgentStream::FinishLocked(grpc::Status status) {
  if (finished_) return;
  if (!status.ok()) {
    spdlog::warn("agent stream from {} closed: {}", peer_, status.error_message());
  }
  finished_ = true;
  Finish(std::move(status));
}

void AgentStream::MaybeFinishLocked() {
  if (finished_ || !reads_done_ || in_flight_ > 0 || writing_) return;
  FinishLocked(failure_.value_or(grpc::Status::OK));
}

void AgentStream::OnDone() {
  if (series_) {
    // Before this object can be deleted: the manager must not send to it.
    commands_->OnAgentDisconnected(series_->host_id(), this);
    registry_->OnDisconnect(series_->host_id());
    spdlog::info("agent disconnected: host '{}'", series_->host_id());
  }
  --stats_->streams_open;
  hello_alarm_.Cancel();  // its callback (now or soon) is the last use of this
  bool delete_now = false;
  {
    MutexLock lock(&mu_);
    done_ = true;
    delete_now = DeletableLocked();
  }
  if (delete_now) delete this;
}

grpc::ServerBidiReactor<rollguard::v1::AgentMessage, rollguard::v1::CollectorMessage>*
AgentServiceImpl::Connect(grpc::CallbackServerContext* context) {
  static const Authenticator kLocalOnly(/*tls=*/false, nullptr);
  const Authenticator& auth = deps_.auth != nullptr ? *deps_.auth : kLocalOnly;
  return new AgentStream(context, deps_, auth.Identify(*context));
}

}  // namespace rollguard::collector
