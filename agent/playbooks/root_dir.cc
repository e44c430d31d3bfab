#include "agent/playbooks/root_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/atomic_file.h"
#include "common/status_macros.h"

namespace rollguard::agent {
namespace {

namespace fs = std::filesystem;

// Folders nested deeper than this are not removed (a bound on the recursion).
constexpr int kMaxDepth = 256;
// Files a step reads (configs, backups, logs) are small; a bigger one is
// refused rather than read into memory (a sparse 1 TB file would kill us).
constexpr off_t kMaxReadBytes = off_t{64} << 20;

// Set once the kernel answered ENOSYS: every later open walks instead.
std::atomic<bool> no_openat2{false};

absl::Status FromErrno(int err, const std::string& what, const std::string& path) {
  switch (err) {
    case EXDEV:
      return absl::PermissionDeniedError(
          absl::StrCat("path '", path,
                       "' leads outside the service root (checked when used: a folder on the "
                       "way is, or became, a link out)"));
    case ELOOP:
      return absl::PermissionDeniedError(
          absl::StrCat("path '", path, "' goes through a symlink, refused when used"));
    case ENOENT:
      return absl::NotFoundError(absl::StrCat(what, " ", path, ": ", std::strerror(err)));
    default:
      return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(err)));
  }
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// openat2 with RESOLVE_BENEATH: -1 and errno on failure.
int OpenAt2(int dir_fd, const std::string& rel, int flags) {
  struct open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dir_fd, rel.c_str(), &how, sizeof how));
}

// Without openat2: every name opened with O_NOFOLLOW, ".." refused.
int OpenWalking(int dir_fd, const std::string& rel, int flags) {
  std::vector<std::string> names = absl::StrSplit(rel, '/', absl::SkipEmpty());
  std::vector<std::string> kept;
  for (auto& n : names) {
    if (n == "..") {
      errno = EXDEV;
      return -1;
    }
    if (n != ".") kept.push_back(std::move(n));
  }
  int cur = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  for (size_t i = 0; cur >= 0 && i < kept.size(); ++i) {
    const bool last = i + 1 == kept.size();
    int next = ::openat(cur, kept[i].c_str(),
                        (last ? flags : O_RDONLY | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);
    int err = errno;
    struct stat st;
    if (next < 0 && err == ENOTDIR &&
        ::fstatat(cur, kept[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
      err = ELOOP;  // O_DIRECTORY answers ENOTDIR for a link: say what it is
    }
    ::close(cur);
    errno = err;
    cur = next;
  }
  return cur;
}

// Removes `name` in `dir_fd`: a folder's contents first, by descriptors.
absl::Status RemoveAt(int dir_fd, const std::string& name, const std::string& display, int depth) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno == ENOENT ? absl::OkStatus() : FromErrno(errno, "removing", display);
  }
  if (S_ISDIR(st.st_mode)) {
    if (depth >= kMaxDepth) {
      return absl::FailedPreconditionError(
          absl::StrCat("removing ", display, ": folders nested deeper than ", kMaxDepth));
    }
    int sub = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) return FromErrno(errno, "opening", display);
    DIR* d = ::fdopendir(sub);  // owns `sub` from here
    if (d == nullptr) {
      ::close(sub);
      return FromErrno(errno, "reading", display);
    }
    std::vector<std::string> children;
    while (dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
        children.emplace_back(e->d_name);
      }
    }
    absl::Status s = absl::OkStatus();
    for (const std::string& child : children) {
      s.Update(RemoveAt(::dirfd(d), child, absl::StrCat(display, "/", child), depth + 1));
    }
    ::closedir(d);
    RETURN_IF_ERROR(s);
    if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0) {
      return FromErrno(errno, "removing", display);
    }
    return absl::OkStatus();
  }
  if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
    return FromErrno(errno, "removing", display);
  }
  return absl::OkStatus();
}

}  // namespace

void RootDir::UseOpenat2ForTesting(bool use) { no_openat2 = !use; }

absl::StatusOr<RootDir> RootDir::Open(const std::string& root) {
  std::error_code ec;
  fs::path real = fs::canonical(root, ec);
  if (ec) return absl::NotFoundError(absl::StrCat("service root ", root, ": ", ec.message()));
  int fd = ::open(real.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return FromErrno(errno, "opening service root", real.string());
  return RootDir(fd, real.string());
}

RootDir::RootDir(RootDir&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

RootDir& RootDir::operator=(RootDir&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

RootDir::~RootDir() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<std::string> RootDir::Relative(const std::string& path) const {
  fs::path p(path);
  fs::path rel =
      p.is_absolute() ? p.lexically_normal().lexically_relative(path_) : p.lexically_normal();
  if (rel.empty() || *rel.begin() == "..") {
    return absl::PermissionDeniedError(
        absl::StrCat("path '", path, "' is outside the service root ", path_));
  }
  std::string out = rel.string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

absl::StatusOr<int> RootDir::OpenBeneath(const std::string& rel, int flags,
                                         const std::string& display) const {
  if (!no_openat2.load(std::memory_order_relaxed)) {
    int fd = OpenAt2(fd_, rel, flags);
    for (int retry = 0; fd < 0 && errno == EAGAIN && retry < 8; ++retry) {
      fd = OpenAt2(fd_, rel, flags);  // a rename raced the lookup: the kernel asks to retry
    }
    if (fd >= 0) return fd;
    // ENOSYS: a kernel before 5.6. EPERM: a seccomp filter that does not know
    // openat2 (some container runtimes); a real permission error comes back
    // from the walk below too.
    if (errno != ENOSYS && errno != EPERM) return FromErrno(errno, "opening", display);
    no_openat2 = true;
  }
  int fd = OpenWalking(fd_, rel, flags);
  if (fd < 0) return FromErrno(errno, "opening", display);
  return fd;
}

absl::StatusOr<int> RootDir::OpenParent(const std::string& path, std::string* name) const {
  ASSIGN_OR_RETURN(std::string rel, Relative(path));
  fs::path p(rel);
  if (rel == "." || !p.has_filename()) {
    return absl::PermissionDeniedError(
        absl::StrCat("path '", path, "' names the service root itself"));
  }
  *name = p.filename().string();
  std::string parent = p.parent_path().string();
  return OpenBeneath(parent.empty() ? "." : parent, O_RDONLY | O_DIRECTORY, path);
}

absl::StatusOr<std::string> RootDir::ReadFile(const std::string& path) const {
  ASSIGN_OR_RETURN(std::string rel, Relative(path));
  // Non-blocking: a FIFO put where a file was expected must not hang the
  // agent in open(); then only a regular file of bounded size is read.
  ASSIGN_OR_RETURN(int raw, OpenBeneath(rel, O_RDONLY | O_NONBLOCK | O_NOCTTY, path));
  Fd fd(raw);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return FromErrno(errno, "reading", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file; not read"));
  }
  if (st.st_size > kMaxReadBytes) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is ", st.st_size, " bytes, over the ",
                                                      kMaxReadBytes >> 20,
                                                      " MB a playbook step reads"));
  }
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FromErrno(errno, "reading", path);
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
    if (static_cast<off_t>(out.size()) > kMaxReadBytes) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " grew past ", kMaxReadBytes >> 20, " MB while read; not read"));
    }
  }
}

absl::Status RootDir::WriteFile(const std::string& path, absl::string_view contents) const {
  std::string name;
  ASSIGN_OR_RETURN(int raw, OpenParent(path, &name));
  Fd dir(raw);
  return WriteFileAtomicAt(dir.get(), name, contents, -1, path);
}

absl::Status RootDir::MakeFolders(const std::string& path) const {
  ASSIGN_OR_RETURN(std::string rel, Relative(path));
  std::string prefix;
  for (absl::string_view name : absl::StrSplit(rel, '/', absl::SkipEmpty())) {
    if (name == ".") continue;
    const std::string parent = prefix.empty() ? "." : prefix;
    prefix = prefix.empty() ? std::string(name) : absl::StrCat(prefix, "/", name);
    absl::StatusOr<int> existing = OpenBeneath(prefix, O_RDONLY | O_DIRECTORY, prefix);
    if (existing.ok()) {
      ::close(*existing);
      continue;
    }
    if (!absl::IsNotFound(existing.status())) return existing.status();
    ASSIGN_OR_RETURN(int raw, OpenBeneath(parent, O_RDONLY | O_DIRECTORY, parent));
    Fd dir(raw);
    if (::mkdirat(dir.get(), std::string(name).c_str(), 0755) != 0 && errno != EEXIST) {
      return FromErrno(errno, "creating folder", prefix);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RootDir::Kind> RootDir::KindOf(const std::string& path,
                                              std::string* link_target) const {
  std::string name;
  absl::StatusOr<int> raw = OpenParent(path, &name);
  if (absl::IsNotFound(raw.status())) return Kind::kMissing;  // its folder is missing too
  RETURN_IF_ERROR(raw.status());
  Fd dir(*raw);
  struct stat st;
  if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return Kind::kMissing;
    return FromErrno(errno, "reading", path);
  }
  if (S_ISLNK(st.st_mode)) {
    if (link_target != nullptr) {
      char buf[4096];
      ssize_t n = ::readlinkat(dir.get(), name.c_str(), buf, sizeof buf);
      if (n < 0) return FromErrno(errno, "reading link", path);
      link_target->assign(buf, static_cast<size_t>(n));
    }
    return Kind::kLink;
  }
  if (S_ISREG(st.st_mode)) return Kind::kFile;
  if (S_ISDIR(st.st_mode)) return Kind::kDirectory;
  return Kind::kOther;
}

absl::Status RootDir::MakeLink(const std::string& target, const std::string& path) const {
  std::string name;
  ASSIGN_OR_RETURN(int raw, OpenParent(path, &name));
  Fd dir(raw);
  if (::symlinkat(target.c_str(), dir.get(), name.c_str()) != 0) {
    const int err = errno;
    return FromErrno(err, absl::StrCat("creating link -> ", target, " at"), path);
  }
  return absl::OkStatus();
}

absl::Status RootDir::RemoveNonFolder(const std::string& path) const {
  std::string name;
  absl::StatusOr<int> raw = OpenParent(path, &name);
  if (absl::IsNotFound(raw.status())) return absl::OkStatus();
  RETURN_IF_ERROR(raw.status());
  Fd dir(*raw);
  if (::unlinkat(dir.get(), name.c_str(), 0) == 0 || errno == ENOENT) return absl::OkStatus();
  if (errno == EISDIR) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is a folder now; not removed (it is not what was recorded)"));
  }
  return FromErrno(errno, "removing", path);
}

absl::Status RootDir::Remove(const std::string& path) const {
  std::string name;
  absl::StatusOr<int> raw = OpenParent(path, &name);
  if (absl::IsNotFound(raw.status())) return absl::OkStatus();  // its folder is gone too
  RETURN_IF_ERROR(raw.status());
  Fd dir(*raw);
  return RemoveAt(dir.get(), name, path, 0);
}

}  // namespace rollguard::agent
