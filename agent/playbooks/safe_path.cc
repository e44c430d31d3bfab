#include "agent/playbooks/safe_path.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace rollguard::agent {

namespace fs = std::filesystem;

absl::StatusOr<std::string> ResolveUnderRoot(const std::string& root, const std::string& rel) {
  std::error_code ec;
  fs::path real_root = fs::canonical(root, ec);
  if (ec) return absl::NotFoundError(absl::StrCat("service root ", root, ": ", ec.message()));
  if (rel.empty()) return absl::InvalidArgumentError("empty path");
  fs::path p(rel);
  fs::path joined = (p.is_absolute() ? p : real_root / p).lexically_normal();
  auto escapes = [&](const fs::path& candidate) {
    auto rel_to_root = candidate.lexically_relative(real_root);
    return rel_to_root.empty() || *rel_to_root.begin() == "..";
  };
  if (escapes(joined) && joined != real_root) {
    return absl::PermissionDeniedError(
        absl::StrCat("path '", rel, "' is outside the service root ", real_root.string()));
  }
  // Follow symlinks in whatever part exists already.
  fs::path resolved = fs::weakly_canonical(joined, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("path '", rel, "': ", ec.message()));
  if (escapes(resolved) && resolved != real_root) {
    return absl::PermissionDeniedError(
        absl::StrCat("path '", rel, "' leads outside the service root through a symlink (to ",
                     resolved.string(), ")"));
  }
  return resolved.string();
}

absl::StatusOr<std::string> ResolveEntryUnderRoot(const std::string& root, const std::string& rel) {
  std::error_code ec;
  fs::path real_root = fs::canonical(root, ec);
  if (ec) return absl::NotFoundError(absl::StrCat("service root ", root, ": ", ec.message()));
  fs::path p(rel);
  fs::path joined = (p.is_absolute() ? p : real_root / p).lexically_normal();
  if (joined == real_root || !joined.has_filename()) {
    return absl::PermissionDeniedError(
        absl::StrCat("path '", rel, "' names the service root itself"));
  }
  ASSIGN_OR_RETURN(std::string folder, ResolveUnderRoot(root, joined.parent_path().string()));
  return (fs::path(folder) / joined.filename()).string();
}

}  // namespace rollguard::agent
