#include "collector/notify/notifier.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "collector/notify/senders.h"
#include "common/backoff.h"
#include "common/mutex.h"

namespace rollguard::collector {

constexpr size_t kQueueLimit = 1000;

class Notifier::Receiver {
 public:
  Receiver(const ReceiverConfig& config, Notifier* owner) : config_(config), owner_(owner) {}

  void Start() {
    thread_ = std::thread([this] { Loop(); });
  }

  // Stop in two halves, so many receivers stop in parallel: ask each, then
  // join each. What is still queued after `drain` is dropped and logged.
  void RequestStop(absl::Duration drain) {
    MutexLock lock(&mu_);
    stopping_ = true;
    drain_until_ = absl::Now() + drain;
    cv_.notify_all();
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
    MutexLock lock(&mu_);
    if (!queue_.empty()) {
      spdlog::warn("receiver {}: stopped with {} notifications unsent", config_.name,
                   queue_.size());
    }
  }
  void Stop(absl::Duration drain) {
    RequestStop(drain);
    Join();
  }

  // The jobs not yet begun (a reload hands them to the receiver's new self).
  std::deque<Job> TakeQueue() {
    MutexLock lock(&mu_);
    std::deque<Job> out;
    out.swap(queue_);
    return out;
  }

  void Enqueue(Job job) {
    MutexLock lock(&mu_);
    if (queue_.size() >= kQueueLimit) {
      queue_.pop_front();
      ++dropped_;
    }
    queue_.push_back(std::move(job));
    cv_.notify_one();
  }

  rollguard::v1::ReceiverStatus Status() const {
    MutexLock lock(&mu_);
    rollguard::v1::ReceiverStatus s;
    s.set_name(config_.name);
    s.set_type(config_.type);
    s.set_sent(sent_);
    s.set_failed(failed_);
    s.set_dropped(dropped_);
    s.set_last_error(last_error_);
    s.set_last_error_ms(last_error_ms_);
    return s;
  }

  const ReceiverConfig& config() const { return config_; }

 private:
  absl::Status Deliver(const Notification& n) {
    int64_t now = owner_->clock_->NowMs();
    const auto& c = config_;
    if (c.type == "log") {
      spdlog::warn("alert: {}", OneLine(n));
      return absl::OkStatus();
    }
    if (c.type == "webhook") return PostJson(c.url, WebhookPayload(n), c.headers, c.timeout);
    if (c.type == "discord") return PostJson(c.url, DiscordPayload(n), c.headers, c.timeout);
    if (c.type == "slack") return PostJson(c.url, SlackPayload(n), c.headers, c.timeout);
    if (c.type == "alertmanager") {
      std::string base = c.url;
      while (!base.empty() && base.back() == '/') base.pop_back();
      return PostJson(base + "/api/v2/alerts", AlertmanagerPayload(n, now), c.headers, c.timeout);
    }
    if (c.type == "email") {
      return SendMail(c.smtp_url, c.from, c.to, EmailMessage(n, c.from, c.to, now), c.username,
                      c.password, c.timeout);
    }
    return absl::InvalidArgumentError(absl::StrCat("unknown receiver type ", c.type));
  }

  // Sleeps `d` unless stopping; false if stopping cut it short.
  bool SleepFor(absl::Duration d) {
    MutexLock lock(&mu_);
    return !cv_.wait_for(lock.native(), absl::ToChronoMilliseconds(d), [&] {
      mu_.AssertHeld();
      return stopping_;
    });
  }

  void Loop() {
    Backoff backoff(config_.initial_backoff, config_.initial_backoff * 16);
    while (true) {
      Job job;
      {
        MutexLock lock(&mu_);
        cv_.wait(lock.native(), [&] {
          mu_.AssertHeld();
          return stopping_ || !queue_.empty();
        });
        if (queue_.empty() || (stopping_ && absl::Now() > drain_until_)) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      absl::Status s;
      backoff.Reset();
      for (int attempt = 1; attempt <= config_.max_attempts; ++attempt) {
        s = Deliver(job.n);
        if (s.ok() || attempt == config_.max_attempts) break;
        bool stopping;
        {
          MutexLock lock(&mu_);
          stopping = stopping_;
        }
        if (stopping || !SleepFor(backoff.Next())) break;
      }
      {
        MutexLock lock(&mu_);
        if (s.ok()) {
          ++sent_;
        } else {
          ++failed_;
          last_error_ = std::string(s.message());
          last_error_ms_ = owner_->clock_->NowMs();
        }
      }
      // This receiver's outcome is reported before any fallback can report its own.
      owner_->on_result_(job.n.alert.id(), config_.name, s);
      if (!s.ok()) {
        spdlog::error("receiver {}: giving up on {} after {} attempts: {}", config_.name,
                      job.n.alert.id(), config_.max_attempts, std::string(s.message()));
        if (!job.fallback.empty() && job.fallback != config_.name) {
          owner_->EnqueueOn(job.fallback, {job.n, ""});
        }
      }
    }
  }

  const ReceiverConfig config_;
  Notifier* const owner_;
  std::thread thread_;
  mutable Mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time drain_until_ ABSL_GUARDED_BY(mu_);
  uint64_t sent_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t failed_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  int64_t last_error_ms_ ABSL_GUARDED_BY(mu_) = 0;
};

std::vector<std::unique_ptr<Notifier::Receiver>> Notifier::MakeReceivers(const NotifyConfig& config,
                                                                         Notifier* owner) {
  std::vector<std::unique_ptr<Receiver>> out;
  for (const auto& rc : config.receivers) out.push_back(std::make_unique<Receiver>(rc, owner));
  return out;
}

Notifier::Notifier(NotifyConfig config, const Clock* clock, OnResult on_result)
    : clock_(clock), on_result_(std::move(on_result)) {
  MutexLock lock(&mu_);
  receivers_ = MakeReceivers(config, this);
  config_ = std::move(config);
}

Notifier::~Notifier() { Stop(absl::ZeroDuration()); }

void Notifier::Start() {
  MutexLock life(&lifecycle_mu_);
  if (started_ || stopped_) return;
  started_ = true;
  MutexLock lock(&mu_);
  for (auto& r : receivers_) r->Start();
}

void Notifier::StopAll(const std::vector<Receiver*>& receivers, absl::Duration drain) {
  for (Receiver* r : receivers) r->RequestStop(drain);
  for (Receiver* r : receivers) r->Join();
}

void Notifier::Stop(absl::Duration drain) {
  MutexLock life(&lifecycle_mu_);
  if (stopped_) return;
  stopped_ = true;
  std::vector<Receiver*> all;
  {
    MutexLock lock(&mu_);
    for (auto& r : receivers_) all.push_back(r.get());
  }
  // Not under mu_: a receiver's last fallback takes it. The receivers stay
  // owned by receivers_ (a reload cannot swap them now: stopped_).
  StopAll(all, drain);
}

void Notifier::Reload(NotifyConfig config, absl::Duration drain) {
  MutexLock life(&lifecycle_mu_);
  if (stopped_) return;  // shutting down: nothing to reload into
  std::vector<std::unique_ptr<Receiver>> old;
  {
    // Under mu_ throughout, so a notification meanwhile sees the old set or
    // the new one, never none.
    MutexLock lock(&mu_);
    old.swap(receivers_);
    // Unchanged receivers carry on as they are; a changed one's queued jobs
    // move to its new self; removed ones drain (below).
    for (const ReceiverConfig& rc : config.receivers) {
      auto same = std::find_if(old.begin(), old.end(),
                               [&](const auto& r) { return r && r->config() == rc; });
      if (same != old.end()) {
        receivers_.push_back(std::move(*same));
        continue;
      }
      auto fresh = std::make_unique<Receiver>(rc, this);
      for (auto& r : old) {
        if (r && r->config().name == rc.name) {
          for (Job& job : r->TakeQueue()) fresh->Enqueue(std::move(job));
        }
      }
      if (started_) fresh->Start();
      receivers_.push_back(std::move(fresh));
    }
    config_ = std::move(config);
  }
  std::vector<Receiver*> leaving;
  for (auto& r : old) {
    if (r) leaving.push_back(r.get());
  }
  StopAll(leaving, drain);  // joined: nothing refers to them after this
}

Notifier::Receiver* Notifier::FindLocked(const std::string& name) const {
  for (const auto& r : receivers_) {
    if (r->config().name == name) return r.get();
  }
  return nullptr;
}

bool Notifier::EnqueueOn(const std::string& name, Job job) {
  MutexLock lock(&mu_);
  Receiver* r = FindLocked(name);
  if (r == nullptr) return false;
  r->Enqueue(std::move(job));
  return true;
}

bool Notifier::RouteMatches(const RouteConfig& r, const Notification& n) {
  const auto& a = n.alert;
  if (!r.severities.empty() &&
      std::find(r.severities.begin(), r.severities.end(), a.severity()) == r.severities.end()) {
    return false;
  }
  for (const auto& [k, v] : r.match) {
    std::string have;
    if (k == "host") {
      have = a.host_id();
    } else if (k == "rule") {
      have = a.rule();
    } else if (auto it = a.labels().find(k); it != a.labels().end()) {
      have = it->second;
    } else if (auto h = n.host_labels.find(k); h != n.host_labels.end()) {
      have = h->second;
    }
    if (have != v) return false;
  }
  return true;
}

void Notifier::Notify(const Notification& n) {
  MutexLock lock(&mu_);
  std::vector<std::string> sent_to;
  for (const RouteConfig& route : config_.routes) {
    if (!RouteMatches(route, n)) continue;
    for (const std::string& name : route.receivers) {
      if (std::find(sent_to.begin(), sent_to.end(), name) != sent_to.end()) continue;
      sent_to.push_back(name);
      if (Receiver* r = FindLocked(name)) r->Enqueue({n, route.fallback});
    }
  }
}

void Notifier::NotifyReceivers(const Notification& n, const std::vector<std::string>& receivers) {
  for (const std::string& name : receivers) {
    if (!EnqueueOn(name, {n, ""})) {
      spdlog::error("escalation: no receiver named '{}' (see alerting.receivers)", name);
    }
  }
}

std::vector<rollguard::v1::ReceiverStatus> Notifier::Status() const {
  MutexLock lock(&mu_);
  std::vector<rollguard::v1::ReceiverStatus> out;
  for (const auto& r : receivers_) out.push_back(r->Status());
  return out;
}

}  // namespace rollguard::collector
