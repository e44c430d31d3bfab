// An advisory lock (flock) on a file, held for the life of the object: two
// processes never own the same state at once. The kernel drops it when the
// holder exits, however it exits, so a crash leaves no stale lock.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace rollguard {

class FileLock {
 public:
  // Creates `path` if needed and takes the lock without waiting. When another
  // process holds it: FailedPrecondition "<busy> (pid N): <hint> (<path>)",
  // the pid when known.
  [[nodiscard]] static absl::StatusOr<FileLock> Acquire(const std::string& path,
                                                        const std::string& busy,
                                                        const std::string& hint);

  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace rollguard
