#include "agent/playbooks/journal.h"

#include <filesystem>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/playbooks/root_dir.h"
#include "agent/playbooks/safe_path.h"
#include "common/atomic_file.h"
#include "common/files.h"
#include "common/status_macros.h"

namespace rollguard::agent {

namespace fs = std::filesystem;

Journal::Journal(std::string state_dir, std::string command_id)
    : dir_(absl::StrCat(state_dir, "/journal/", command_id)) {}

absl::Status Journal::Record(const RootDir& root, const std::string& path) {
  if (recorded_.count(path)) return absl::OkStatus();
  // One manifest line per path: a newline in a name would forge entries.
  if (path.find('\n') != std::string::npos || path.find('\r') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("path '", absl::CEscape(path), "' has a line break; not touched"));
  }
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("journal ", dir_, ": ", ec.message()));
  // Kinds: 0 = did not exist (undo removes it), 1 = a file (its bytes are
  // kept), 2 = a symlink (its target is kept; undo recreates the link), 3 =
  // a folder (undo recreates it; its contents have entries of their own).
  std::string keep;
  ASSIGN_OR_RETURN(RootDir::Kind what, root.KindOf(path, &keep));
  int kind = 0;
  switch (what) {
    case RootDir::Kind::kLink:
      kind = 2;
      break;
    case RootDir::Kind::kFile: {
      kind = 1;
      ASSIGN_OR_RETURN(keep, root.ReadFile(path));
      break;
    }
    case RootDir::Kind::kDirectory:
      kind = 3;
      keep.clear();
      break;
    case RootDir::Kind::kMissing:
      break;
    case RootDir::Kind::kOther:
      return absl::FailedPreconditionError(
          absl::StrCat(path, " is neither a file, a link nor a folder; not touched"));
  }
  if (kind == 1 || kind == 2) {
    RETURN_IF_ERROR(WriteFileAtomic(absl::StrCat(dir_, "/", next_, ".orig"), keep));
  }
  // The manifest line goes last: an entry exists only once its copy does.
  RETURN_IF_ERROR(AppendLineDurable(absl::StrCat(dir_, "/manifest"),
                                    absl::StrCat(next_, "\t", kind, "\t", path)));
  recorded_.insert(path);
  ++next_;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> Journal::Undo(const std::string& state_dir,
                                                       const std::string& command_id,
                                                       const std::string& root) {
  std::string dir = absl::StrCat(state_dir, "/journal/", command_id);
  auto manifest = ReadFile(dir + "/manifest");
  if (!manifest.ok()) {
    return absl::NotFoundError(absl::StrCat("no journal for command ", command_id,
                                            " (it changed no file, or never ran here)"));
  }
  struct Entry {
    int index;
    int kind;  // as Record writes it
    std::string path;
  };
  std::vector<Entry> entries;
  for (absl::string_view line : absl::StrSplit(*manifest, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits('\t', 2));
    Entry e;
    if (f.size() != 3 || !absl::SimpleAtoi(f[0], &e.index) || !absl::SimpleAtoi(f[1], &e.kind) ||
        e.kind < 0 || e.kind > 3) {
      return absl::DataLossError(absl::StrCat("journal ", dir, ": bad manifest line '", line, "'"));
    }
    // Checked now, not trusted from the run: the tree may have changed.
    absl::StatusOr<std::string> safe = ResolveEntryUnderRoot(root, f[2]);
    if (!safe.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "undo of ", command_id, " refused, nothing restored: ", safe.status().message()));
    }
    e.path = *std::move(safe);
    entries.push_back(std::move(e));
  }
  ASSIGN_OR_RETURN(RootDir tree, RootDir::Open(root));
  std::vector<std::string> restored;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    const std::string& path = it->path;
    ASSIGN_OR_RETURN(RootDir::Kind now, tree.KindOf(path));
    if (it->kind == 3) {
      RETURN_IF_ERROR(tree.MakeFolders(path));
    } else if (it->kind == 0) {
      // Made by the command: removed again (a folder there now is left
      // alone: its contents are not this command's to judge).
      if (now == RootDir::Kind::kDirectory) continue;
      RETURN_IF_ERROR(tree.RemoveNonFolder(path));
    } else {
      ASSIGN_OR_RETURN(std::string kept, ReadFile(absl::StrCat(dir, "/", it->index, ".orig")));
      RETURN_IF_ERROR(tree.MakeFolders(fs::path(path).parent_path().string()));
      if (it->kind == 1) {
        RETURN_IF_ERROR(tree.WriteFile(path, kept));
      } else {
        if (now == RootDir::Kind::kDirectory) {
          return absl::FailedPreconditionError(
              absl::StrCat("cannot put back link ", path, ": a folder is there now"));
        }
        RETURN_IF_ERROR(tree.RemoveNonFolder(path));
        RETURN_IF_ERROR(tree.MakeLink(kept, path));
      }
    }
    restored.push_back(path);
  }
  return restored;
}

}  // namespace rollguard::agent
