#include "agent/playbooks/journal.h"

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/atomic_file.h"
#include "common/files.h"
#include "common/status_macros.h"

namespace rollguard::agent {

namespace fs = std::filesystem;

Journal::Journal(std::string state_dir, std::string command_id)
    : dir_(absl::StrCat(state_dir, "/journal/", command_id)) {}

absl::Status Journal::Record(const std::string& path) {
  if (recorded_.count(path)) return absl::OkStatus();
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("journal ", dir_, ": ", ec.message()));
  bool existed = fs::is_regular_file(path, ec);
  if (existed) {
    ASSIGN_OR_RETURN(std::string contents, ReadFile(path));
    RETURN_IF_ERROR(WriteFileAtomic(absl::StrCat(dir_, "/", next_, ".orig"), contents));
  }
  // The manifest line goes last: an entry exists only once its copy does.
  RETURN_IF_ERROR(AppendLineDurable(absl::StrCat(dir_, "/manifest"),
                                    absl::StrCat(next_, "\t", existed ? 1 : 0, "\t", path)));
  recorded_.insert(path);
  ++next_;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> Journal::Undo(const std::string& state_dir,
                                                       const std::string& command_id) {
  std::string dir = absl::StrCat(state_dir, "/journal/", command_id);
  auto manifest = ReadFile(dir + "/manifest");
  if (!manifest.ok()) {
    return absl::NotFoundError(absl::StrCat("no journal for command ", command_id,
                                            " (it changed no file, or never ran here)"));
  }
  struct Entry {
    int index;
    bool existed;
    std::string path;
  };
  std::vector<Entry> entries;
  for (absl::string_view line : absl::StrSplit(*manifest, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits('\t', 2));
    Entry e;
    if (f.size() != 3 || !absl::SimpleAtoi(f[0], &e.index)) {
      return absl::DataLossError(absl::StrCat("journal ", dir, ": bad manifest line '", line, "'"));
    }
    e.existed = f[1] == "1";
    e.path = f[2];
    entries.push_back(std::move(e));
  }
  std::vector<std::string> restored;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    std::error_code ec;
    if (it->existed) {
      ASSIGN_OR_RETURN(std::string contents, ReadFile(absl::StrCat(dir, "/", it->index, ".orig")));
      fs::create_directories(fs::path(it->path).parent_path(), ec);
      RETURN_IF_ERROR(WriteFileAtomic(it->path, contents));
    } else {
      fs::remove(it->path, ec);
    }
    restored.push_back(it->path);
  }
  return restored;
}

}  // namespace rollguard::agent
