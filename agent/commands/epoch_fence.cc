#include "agent/commands/epoch_fence.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/files.h"

namespace rollguard::agent {

EpochFence::EpochFence(std::string path) : path_(std::move(path)) {
  if (path_.empty()) return;
  absl::StatusOr<std::string> text = ReadFile(path_);
  if (!text.ok()) {
    if (absl::IsNotFound(text.status())) return;  // never led by an HA pair
    load_error_ = absl::UnavailableError(
        absl::StrCat(path_, ": cannot read the leader epoch: ", text.status().message(),
                     "; refusing commands until it can be read"));
  } else if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &highest_)) {
    load_error_ = absl::UnavailableError(
        absl::StrCat(path_,
                     ": damaged (not a number); refusing commands. If no collector pair leads this "
                     "host any more, delete it"));
  }
  if (!load_error_.ok()) spdlog::error("{}", std::string(load_error_.message()));
}

absl::Status EpochFence::Admit(uint64_t epoch) {
  if (!load_error_.ok()) return load_error_;
  if (epoch < highest_) {
    return absl::FailedPreconditionError(
        absl::StrCat("sent by a collector that no longer leads (leader epoch ", epoch,
                     ", this host has seen ", highest_, "); refused"));
  }
  if (epoch == highest_) return absl::OkStatus();
  if (!path_.empty()) {
    std::error_code ec;  // the state folder is made on first use
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
    if (absl::Status s = WriteFileAtomic(path_, absl::StrCat(epoch, "\n")); !s.ok()) {
      return absl::UnavailableError(absl::StrCat("cannot record leader epoch ", epoch, " in ",
                                                 path_, ": ", s.message(), "; refused"));
    }
  }
  spdlog::info("commands: leader epoch {} (was {})", epoch, highest_);
  highest_ = epoch;
  return absl::OkStatus();
}

}  // namespace rollguard::agent
