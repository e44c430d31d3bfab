// Before a playbook changes or removes a file, the file's previous contents
// (a symlink's target, a folder's existence, or the fact that it did not
// exist) go to <state_dir>/journal/<command id>/, durably, with one manifest
// line per path. Undo puts every file, link and folder back exactly, newest
// change first. Paths in the service root are read and written through
// RootDir (opened beneath the root when used).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rollguard::agent {

class Journal {
 public:
  Journal(std::string state_dir, std::string command_id);

  // Saves `path`'s current state, once per path per command (the first
  // state is the one undo restores). Must be called before changing it.
  [[nodiscard]] absl::Status Record(const class RootDir& root, const std::string& path);

  // Restores every file the command changed; returns the paths restored.
  // Every path is checked again under `root` first (its folder resolved
  // through symlinks as it is now, the last name not followed): if a folder
  // on the way was replaced by a link leading out since the run, or the
  // manifest names a path outside, nothing is restored and the error names it.
  [[nodiscard]] static absl::StatusOr<std::vector<std::string>> Undo(const std::string& state_dir,
                                                                     const std::string& command_id,
                                                                     const std::string& root);

 private:
  std::string dir_;
  std::set<std::string> recorded_;
  int next_ = 0;
};

}  // namespace rollguard::agent
