#include "common/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace rollguard {

absl::StatusOr<FileLock> FileLock::Acquire(const std::string& path, const std::string& busy,
                                           const std::string& hint) {
  // O_NOFOLLOW: a link planted at the lock's name must not make the holder
  // truncate (and write its pid into) whatever the link points to.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("lock ", path, ": ", std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    ::close(fd);
    int holder = 0;
    std::string who = n > 0 && absl::SimpleAtoi(absl::StripAsciiWhitespace(buf), &holder)
                          ? absl::StrCat(" (pid ", holder, ")")
                          : "";
    return absl::FailedPreconditionError(absl::StrCat(busy, who, ": ", hint, " (", path, ")"));
  }
  // Who holds it, for the message above; the lock itself is the flock.
  std::string pid = absl::StrCat(::getpid(), "\n");
  if (::ftruncate(fd, 0) == 0) (void)::pwrite(fd, pid.data(), pid.size(), 0);
  return FileLock(fd);
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace rollguard
