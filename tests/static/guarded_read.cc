// Compiles under `clang -Wthread-safety -Werror`: the control for
// unguarded_read.cc, so that test fails for the right reason only.
#include "common/mutex.h"

namespace rollguard {

class Counter {
 public:
  int Get() const {
    MutexLock lock(&mu_);
    return value_;
  }

 private:
  mutable Mutex mu_;
  int value_ ABSL_GUARDED_BY(mu_) = 0;
};

int Read(const Counter& c) { return c.Get(); }

}  // namespace rollguard
