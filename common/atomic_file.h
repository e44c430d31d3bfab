// Writing a file so that a crash leaves either the old or the new contents,
// never a mix: write a temporary file beside it, fsync, rename over, fsync the
// folder. Used for every file a playbook changes.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rollguard {

// Keeps the file's permission bits if it existed (else 0644).
[[nodiscard]] absl::Status WriteFileAtomic(const std::string& path, absl::string_view contents);

// The same with exactly these permission bits (0600 for private keys), from
// the moment the temporary file exists.
[[nodiscard]] absl::Status WriteFileAtomicMode(const std::string& path, absl::string_view contents,
                                               unsigned mode);

// The same inside the open folder `dir_fd`, for callers that reached the
// folder safely themselves (agent/playbooks/root_dir.h): `name` is one entry
// of it, never followed if it is a symlink (the rename replaces the link).
// `display` names the file in errors. Mode as WriteFileAtomic when `mode` < 0.
[[nodiscard]] absl::Status WriteFileAtomicAt(int dir_fd, const std::string& name,
                                             absl::string_view contents, int mode,
                                             const std::string& display);

// Appends a line and fsyncs (for small journals of ids).
[[nodiscard]] absl::Status AppendLineDurable(const std::string& path, absl::string_view line);

}  // namespace rollguard
