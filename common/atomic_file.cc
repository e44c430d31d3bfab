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
  std::filesystem::path p(path);
  std::string dir = p.parent_path().empty() ? "." : p.parent_path().string();
  std::string tmp = absl::StrCat(dir, "/.", p.filename().string(), ".rollguard-tmp-", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Errno(absl::StrCat("creating ", tmp));
  absl::Status s = WriteAll(fd, contents, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = Errno(absl::StrCat("fsync ", tmp));
  ::fchmod(fd, mode);
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0)
    s = Errno(absl::StrCat("renaming onto ", path));
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  FsyncDir(dir);  // the rename itself is durable
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
