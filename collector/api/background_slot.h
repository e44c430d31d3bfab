// One long-running admin call at a time, on its own thread, so the gRPC
// threads that answer every other call (and the agents' keepalives) never
// wait for it. A second call while one runs is refused by the caller, not
// queued: nothing piles up behind a slow job.
#pragma once

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace rollguard::collector {

class BackgroundSlot {
 public:
  BackgroundSlot() = default;
  BackgroundSlot(const BackgroundSlot&) = delete;
  BackgroundSlot& operator=(const BackgroundSlot&) = delete;
  // Waits for the running job (jobs watch their call's cancellation, which a
  // server shutdown sets, so this does not wait long).
  ~BackgroundSlot();

  // Starts `job` on the slot's thread, then `answer` with what it returned;
  // false (and neither run) while another job is running. The slot is free
  // again before `answer` runs, so a caller who gets the answer may start
  // the next job straight away.
  [[nodiscard]] bool TryStart(std::function<absl::Status()> job,
                              std::function<void(absl::Status)> answer);
  bool busy() const;

 private:
  mutable absl::Mutex mu_;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rollguard::collector
