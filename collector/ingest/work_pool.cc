#include "collector/ingest/work_pool.h"

#include "common/mutex.h"

namespace rollguard::collector {

WorkPool::WorkPool(int threads) {
  for (int i = 0; i < (threads > 0 ? threads : 1); ++i) threads_.emplace_back([this] { Loop(); });
}

WorkPool::~WorkPool() { Stop(); }

void WorkPool::Submit(std::function<void()> job) {
  {
    MutexLock lock(&mu_);
    if (!stopping_) {
      jobs_.push_back(std::move(job));
      cv_.notify_one();
      return;
    }
  }
  job();
}

void WorkPool::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

size_t WorkPool::queued() const {
  MutexLock lock(&mu_);
  return jobs_.size();
}

void WorkPool::Loop() {
  while (true) {
    std::function<void()> job;
    {
      MutexLock lock(&mu_);
      cv_.wait(lock.native(), [&] {
        mu_.AssertHeld();
        return stopping_ || !jobs_.empty();
      });
      if (jobs_.empty()) return;  // stopping and drained
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace rollguard::collector
