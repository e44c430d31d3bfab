#include "collector/api/background_slot.h"

#include <system_error>
#include <utility>

namespace rollguard::collector {

BackgroundSlot::~BackgroundSlot() {
  std::thread last;
  {
    absl::MutexLock lock(&mu_);
    last = std::move(thread_);
  }
  if (last.joinable()) last.join();
}

bool BackgroundSlot::TryStart(std::function<absl::Status()> job,
                              std::function<void(absl::Status)> answer) {
  absl::MutexLock lock(&mu_);
  if (busy_) return false;
  busy_ = true;
  // The previous thread has at most its answer left to run: a short join.
  if (thread_.joinable()) thread_.join();
  try {
    thread_ = std::thread([this, job = std::move(job), answer = std::move(answer)] {
      absl::Status result = job();
      {
        absl::MutexLock done(&mu_);
        busy_ = false;
      }
      answer(std::move(result));
    });
  } catch (const std::system_error&) {
    busy_ = false;  // no thread to be had: refused like a busy slot, not stuck busy
    return false;
  }
  return true;
}

bool BackgroundSlot::busy() const {
  absl::MutexLock lock(&mu_);
  return busy_;
}

}  // namespace rollguard::collector
