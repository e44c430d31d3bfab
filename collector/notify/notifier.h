// Sends notifications without ever slowing ingest: Notify only routes and
// enqueues. Each receiver has its own thread and bounded queue (full: the
// oldest is dropped and counted), retries with exponential backoff and
// jitter, and on final failure hands the notification to its route's
// fallback receiver. A slow or dead receiver delays no other.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "collector/notify/notify_config.h"
#include "collector/notify/payloads.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "rollguard/v1/alerts.pb.h"

namespace rollguard::collector {

// Thread-safe.
class Notifier {
 public:
  // Called on a receiver's thread after each delivery's final outcome.
  using OnResult = std::function<void(const std::string& alert_id, const std::string& receiver,
                                      const absl::Status& status)>;

  Notifier(NotifyConfig config, const Clock* clock, OnResult on_result);
  ~Notifier();

  void Start();
  // Stops every receiver: what is queued gets up to `drain` to go out.
  void Stop(absl::Duration drain = absl::Seconds(2));

  void Notify(const Notification& n);
  // To these receivers by name, bypassing the routes (escalation levels).
  // Unknown names are logged.
  void NotifyReceivers(const Notification& n, const std::vector<std::string>& receivers);

  std::vector<rollguard::v1::ReceiverStatus> Status() const;

  // Swaps in new receivers and routes (a config reload). A receiver whose
  // config is unchanged carries on (queue, retries, counters); a changed
  // one's queued notifications move to its new self; a removed one gets up
  // to `drain` to send what it had. After Stop it does nothing.
  void Reload(NotifyConfig config, absl::Duration drain = absl::Seconds(2));

 private:
  struct Job {
    Notification n;
    std::string fallback;  // receiver to try when this one finally fails
  };
  class Receiver;

  Receiver* FindLocked(const std::string& name) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Enqueues on the receiver named `name`, if there is one now.
  bool EnqueueOn(const std::string& name, Job job);
  static bool RouteMatches(const RouteConfig& r, const Notification& n);
  static std::vector<std::unique_ptr<Receiver>> MakeReceivers(const NotifyConfig& config,
                                                              Notifier* owner);
  static void StopAll(const std::vector<Receiver*>& receivers, absl::Duration drain);

  const Clock* clock_;
  OnResult on_result_;
  // Start, Stop and Reload one at a time; taken before mu_.
  Mutex lifecycle_mu_;
  bool started_ ABSL_GUARDED_BY(lifecycle_mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(lifecycle_mu_) = false;
  // Held only to route and enqueue (never while delivering), so a reload
  // waits for no receiver.
  mutable Mutex mu_;
  NotifyConfig config_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Receiver>> receivers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rollguard::collector
