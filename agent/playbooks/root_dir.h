// The service root, opened once, through which a playbook step reads, writes
// and removes. ResolveUnderRoot checks a path when the step starts; this
// holds the check at the moment of use: every path is opened from the root's
// descriptor with openat2(RESOLVE_BENEATH), so the kernel refuses a path that
// leads outside the root at that moment — a folder swapped for a link to /etc
// after the check included — and no check-then-use window remains.
//
// Without openat2 (Linux before 5.6) each folder on the way is opened with
// O_NOFOLLOW instead: links inside the root are then refused too (stricter,
// never looser), and the error says so.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rollguard::agent {

class RootDir {
 public:
  // What a directory entry is, its last name not followed.
  enum class Kind { kMissing, kFile, kLink, kDirectory, kOther };

  static absl::StatusOr<RootDir> Open(const std::string& root);
  RootDir(RootDir&& other) noexcept;
  RootDir& operator=(RootDir&& other) noexcept;
  RootDir(const RootDir&) = delete;
  RootDir& operator=(const RootDir&) = delete;
  ~RootDir();

  // The root's canonical path.
  const std::string& path() const { return path_; }

  // Every `path` below is absolute under the root (as ResolveUnderRoot
  // returns it) or relative to it; errors name it as given.
  // A regular file of at most 64 MB (a FIFO or a device is refused, never
  // waited on).
  [[nodiscard]] absl::StatusOr<std::string> ReadFile(const std::string& path) const;
  // Atomic (temporary file, fsync, rename, folder fsync); keeps the mode of
  // what it replaces. The last name is replaced, never followed.
  [[nodiscard]] absl::Status WriteFile(const std::string& path, absl::string_view contents) const;
  // Creates the folder and its missing parents (mode 0755).
  [[nodiscard]] absl::Status MakeFolders(const std::string& path) const;
  // What is at `path`; for a link, its target in *link_target.
  [[nodiscard]] absl::StatusOr<Kind> KindOf(const std::string& path,
                                            std::string* link_target = nullptr) const;
  [[nodiscard]] absl::Status MakeLink(const std::string& target, const std::string& path) const;
  // Removes a file or link (never its target), or a folder with everything
  // in it, walking by descriptors and never following a link. Missing: OK.
  [[nodiscard]] absl::Status Remove(const std::string& path) const;
  // Removes a file or link only: a folder found there is refused (undo uses
  // this: what it finds may have been swapped since it looked).
  [[nodiscard]] absl::Status RemoveNonFolder(const std::string& path) const;

  // Tests: play a kernel without openat2 (false) or use it again (true).
  static void UseOpenat2ForTesting(bool use);

 private:
  RootDir(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  // `path` relative to the root, refused if it is outside lexically.
  absl::StatusOr<std::string> Relative(const std::string& path) const;
  // Opens `rel` (a relative path) beneath the root with `flags`.
  absl::StatusOr<int> OpenBeneath(const std::string& rel, int flags,
                                  const std::string& display) const;
  // Opens the folder holding `path`; *name is its last name.
  absl::StatusOr<int> OpenParent(const std::string& path, std::string* name) const;

  int fd_ = -1;
  std::string path_;
};

}  // namespace rollguard::agent
