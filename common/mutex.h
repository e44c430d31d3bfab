// A std::mutex the compiler can check. libstdc++'s std::mutex carries no
// thread-safety attributes, so clang's -Wthread-safety sees no lock taken and
// ABSL_GUARDED_BY(mu_) on it checks nothing. These thin wrappers carry the
// attributes (`make analyze` holds every source to them) and cost nothing.
#pragma once

#include <mutex>

#include "absl/base/thread_annotations.h"

namespace rollguard {

class ABSL_LOCKABLE Mutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  // Tells the analysis the lock is held where it cannot see it: inside a
  // condition variable's predicate, which runs with the lock retaken.
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}

 private:
  friend class MutexLock;
  std::mutex mu_;
};

// Holds `mu` for its scope; Unlock()/Lock() release and retake it early.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : lock_(mu->mu_) {}
  ~MutexLock() ABSL_UNLOCK_FUNCTION() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() ABSL_UNLOCK_FUNCTION() { lock_.unlock(); }
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { lock_.lock(); }

  // For std::condition_variable's wait functions.
  std::unique_lock<std::mutex>& native() { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace rollguard
