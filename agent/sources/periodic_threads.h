// One thread per target (a probe, a scrape endpoint), each looping until
// Stop; their one wait is SleepUntil, which Stop interrupts. A slow target
// delays only its own thread; a request in flight ends by its own timeout.
#pragma once

#include <condition_variable>
#include <functional>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "common/mutex.h"

namespace rollguard::agent {

class PeriodicThreads {
 public:
  ~PeriodicThreads() { Stop(); }
  // Runs body(i) on its own thread for i in [0, n).
  void Start(size_t n, const std::function<void(size_t)>& body);
  void Stop();  // idempotent; interrupts sleeps, joins
  // Sleeps until `when`; false once Stop was called (the body should return).
  bool SleepUntil(absl::Time when);

 private:
  std::vector<std::thread> threads_;
  Mutex mu_;
  std::condition_variable cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace rollguard::agent
