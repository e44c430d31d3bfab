#include "collector/storage/log_readers.h"

#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "collector/storage/key_codec.h"
#include "collector/storage/rocksdb_status.h"

namespace rollguard::collector {
namespace {

constexpr absl::string_view kReaderPrefix = "log_reader/";
constexpr absl::string_view kSealedKey = "log_sealed_below";

bool DecodeBigEndian64(absl::string_view bytes, uint64_t* v) {
  if (bytes.size() != 8) return false;
  *v = 0;
  for (char c : bytes) *v = (*v << 8) | static_cast<uint8_t>(c);
  return true;
}

}  // namespace

absl::Status LogReaders::Load() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  MutexLock lock(&mu_);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::string_view key = ToView(it->key());
    uint64_t v = 0;
    if (!DecodeBigEndian64(ToView(it->value()), &v)) {
      spdlog::warn("storage: ignoring damaged progress mark {:?}", std::string(key));
      continue;
    }
    if (key == kSealedKey) {
      sealed_below_ = v;
    } else if (absl::StartsWith(key, kReaderPrefix)) {
      cursors_[std::string(key.substr(kReaderPrefix.size()))] = v;
    }
  }
  return FromRocks(it->status(), "reading the sample log's readers");
}

absl::StatusOr<uint64_t> LogReaders::Open(absl::string_view name, uint64_t end) {
  {
    MutexLock lock(&mu_);
    auto it = cursors_.find(name);
    if (it != cursors_.end()) return it->second;
  }
  if (absl::Status s = Advance(name, end); !s.ok()) return s;
  return end;
}

absl::Status LogReaders::Advance(absl::string_view name, uint64_t next) {
  // Written before the cursor moves in memory: the sealer may delete what a
  // cursor has passed, so the disk never says less than memory lets go of.
  absl::Status s = FromRocks(
      db_->Put(write_options_, meta_, absl::StrCat(kReaderPrefix, name), EncodeBigEndian64(next)),
      "saving a sample log reader's position");
  if (!s.ok()) return s;
  MutexLock lock(&mu_);
  cursors_[std::string(name)] = next;
  return absl::OkStatus();
}

absl::Status LogReaders::Retain(const std::vector<std::string>& names) {
  std::vector<std::string> gone;
  {
    MutexLock lock(&mu_);
    for (const auto& [name, next] : cursors_) {
      if (std::find(names.begin(), names.end(), name) == names.end()) gone.push_back(name);
    }
  }
  for (const std::string& name : gone) {
    spdlog::info(
        "storage: remote write {:?} is no longer configured; its place in the log is "
        "dropped",
        name);
    absl::Status s =
        FromRocks(db_->Delete(write_options_, meta_, absl::StrCat(kReaderPrefix, name)),
                  "dropping a sample log reader");
    if (!s.ok()) return s;
    MutexLock lock(&mu_);
    cursors_.erase(name);
  }
  return absl::OkStatus();
}

uint64_t LogReaders::Min() const {
  MutexLock lock(&mu_);
  uint64_t m = kNoReader;
  for (const auto& [name, next] : cursors_) m = std::min(m, next);
  return m;
}

uint64_t LogReaders::Max() const {
  MutexLock lock(&mu_);
  uint64_t m = 0;
  for (const auto& [name, next] : cursors_) m = std::max(m, next);
  return m;
}

uint64_t LogReaders::sealed_below() const {
  MutexLock lock(&mu_);
  return sealed_below_;
}

void LogReaders::NoteSealed(uint64_t below, rocksdb::WriteBatch* batch) {
  (void)batch->Put(meta_, std::string(kSealedKey), EncodeBigEndian64(below));
  MutexLock lock(&mu_);
  sealed_below_ = below;
}

}  // namespace rollguard::collector
