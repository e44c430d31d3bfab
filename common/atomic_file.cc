#include "common/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace rollguard {
namespace {

absl::Status Errno(const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno(absl::StrCat("writing ", path));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteFileAtomic(const std::string& path, absl::string_view contents) {
  mode_t mode = 0644;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) mode = st.st_mode & 07777;
  return WriteFileAtomicMode(path, contents, mode);
}

namespace {

// Makes a new or renamed directory entry durable (the file's own fsync does not).
void FsyncDir(const std::string& dir) {
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::string FolderOf(const std::string& path) {
  std::filesystem::path p(path);
  return p.parent_path().empty() ? "." : p.parent_path().string();
}

}  // namespace

absl::Status WriteFileAtomicMode(const std::string& path, absl::string_view contents,
                                 unsigned mode) {
  const std::string dir = FolderOf(path);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Errno(absl::StrCat("opening folder ", dir));
  absl::Status s = WriteFileAtomicAt(dfd, std::filesystem::path(path).filename().string(), contents,
                                     static_cast<int>(mode), path);
  ::close(dfd);
  return s;
}

absl::Status WriteFileAtomicAt(int dir_fd, const std::string& name, absl::string_view contents,
                               int mode, const std::string& display) {
  if (mode < 0) {
    // The mode of the file replaced, not followed through a link (a link's
    // target may be anything), and never set-id bits.
    struct stat st;
    mode = ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)
               ? static_cast<int>(st.st_mode & 0777)
               : 0644;
  }
  const std::string tmp = absl::StrCat(".", name, ".rollguard-tmp-", ::getpid());
  ::unlinkat(dir_fd, tmp.c_str(), 0);  // a leftover of a crashed write
  int fd = ::openat(dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    static_cast<mode_t>(mode));
  if (fd < 0) return Errno(absl::StrCat("creating a temporary file beside ", display));
  absl::Status s = WriteAll(fd, contents, display);
  if (s.ok() && ::fsync(fd) != 0) s = Errno(absl::StrCat("fsync ", display));
  ::fchmod(fd, static_cast<mode_t>(mode));
  ::close(fd);
  if (s.ok() && ::renameat(dir_fd, tmp.c_str(), dir_fd, name.c_str()) != 0)
    s = Errno(absl::StrCat("renaming onto ", display));
  if (!s.ok()) {
    ::unlinkat(dir_fd, tmp.c_str(), 0);
    return s;
  }
  ::fsync(dir_fd);  // the rename itself is durable
  return absl::OkStatus();
}

absl::Status AppendLineDurable(const std::string& path, absl::string_view line) {
  bool created = false;
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    created = fd >= 0;
  }
  if (fd < 0) return Errno(absl::StrCat("opening ", path));
  absl::Status s = WriteAll(fd, absl::StrCat(line, "\n"), path);
  if (s.ok() && ::fsync(fd) != 0) s = Errno(absl::StrCat("fsync ", path));
  ::close(fd);
  // A file created here exists after a crash only once its folder is synced:
  // the first line of an at-most-once record must not vanish with it.
  if (s.ok() && created) FsyncDir(FolderOf(path));
  return s;
}

}  // namespace rollguard
