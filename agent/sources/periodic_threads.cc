#include "agent/sources/periodic_threads.h"

namespace rollguard::agent {

void PeriodicThreads::Start(size_t n, const std::function<void(size_t)>& body) {
  for (size_t i = 0; i < n; ++i) threads_.emplace_back([body, i] { body(i); });
}

void PeriodicThreads::Stop() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

bool PeriodicThreads::SleepUntil(absl::Time when) {
  MutexLock lock(&mu_);
  cv_.wait_until(lock.native(), absl::ToChronoTime(when), [&] {
    mu_.AssertHeld();
    return stop_;
  });
  return !stop_;
}

}  // namespace rollguard::agent
