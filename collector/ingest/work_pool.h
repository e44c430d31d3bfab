// A fixed set of worker threads running submitted jobs in FIFO order. Used to
// keep blocking work (RocksDB writes) out of gRPC's callback threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/mutex.h"

namespace rollguard::collector {

// Thread-safe. The queue is bounded by its callers (each agent stream keeps a
// fixed number of jobs in flight), so Submit never blocks or fails.
class WorkPool {
 public:
  explicit WorkPool(int threads);
  ~WorkPool();

  void Submit(std::function<void()> job);

  // Runs every queued job, then joins the threads. Idempotent. Later Submits
  // run inline on the caller, so no job is ever lost.
  void Stop();

  size_t queued() const;

 private:
  void Loop();

  mutable Mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace rollguard::collector
