// Must NOT compile under `clang -Wthread-safety -Werror`: it reads a guarded
// field without its lock. If it ever compiles, common/mutex.h has lost its
// annotations and `make analyze` checks nothing.
#include "common/mutex.h"

namespace rollguard {

class Counter {
 public:
  int Get() const { return value_; }  // the lock is missing here

 private:
  mutable Mutex mu_;
  int value_ ABSL_GUARDED_BY(mu_) = 0;
};

int Read(const Counter& c) { return c.Get(); }

}  // namespace rollguard
