// Lets one stream's jobs through one at a time, in the order they were
// submitted, although the work pool may run them on different threads.
//
// The pool is FIFO, so the job holding ticket k-1 was started before the one
// holding ticket k: a job waits only for its predecessor's section (a few
// microseconds), never for a job that has not started, and cannot deadlock.
#pragma once

#include <condition_variable>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "common/mutex.h"

namespace rollguard::collector {

// Thread-safe.
class Turnstile {
 public:
  // Called in submission order, before the job is submitted.
  uint64_t Take() {
    MutexLock lock(&mu_);
    return next_ticket_++;
  }

  // Waits until every earlier ticket has passed, runs `section`, then lets
  // the next ticket through. Every ticket taken must pass exactly once.
  void Pass(uint64_t ticket, absl::FunctionRef<void()> section) {
    {
      MutexLock lock(&mu_);
      cv_.wait(lock.native(), [&] {
        mu_.AssertHeld();
        return serving_ == ticket;
      });
    }
    // Only this ticket's holder runs here until it bumps serving_.
    section();
    MutexLock lock(&mu_);
    ++serving_;
    cv_.notify_all();
  }

 private:
  Mutex mu_;
  std::condition_variable cv_;
  uint64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t serving_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace rollguard::collector
