#include "agent/buffer/spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "agent/buffer/spool_frames.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "rollguard/v1/spool.pb.h"

namespace rollguard::agent {
namespace {

namespace fs = std::filesystem;
using rollguard::v1::SpoolRecord;

constexpr absl::string_view kSegmentPrefix = "seg-";
constexpr absl::string_view kSegmentSuffix = ".spool";

std::string SegmentName(uint64_t number) {
  return absl::StrFormat("%s%016d%s", kSegmentPrefix, number, kSegmentSuffix);
}

// The number of a segment file's name; 0 for any other file.
uint64_t SegmentNumber(absl::string_view name) {
  uint64_t n = 0;
  if (!absl::ConsumePrefix(&name, kSegmentPrefix) || !absl::ConsumeSuffix(&name, kSegmentSuffix) ||
      name.size() != 16 || !absl::SimpleAtoi(name, &n)) {
    return 0;
  }
  return n;
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::UnavailableError(std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

void SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Spool>> Spool::Open(SpoolOptions options, SeriesRegistry* registry) {
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("buffer spool_dir ", options.dir, ": cannot create: ", ec.message()));
  }
  // Samples of the bot's host: not for other users to read.
  fs::permissions(options.dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(options.dir + "/lock",
                                                    "another rollguard-agent uses this spool",
                                                    "give each agent its own buffer.spool_dir"));
  std::unique_ptr<Spool> spool(new Spool(std::move(options), registry, std::move(lock)));
  RETURN_IF_ERROR(spool->Recover());
  RETURN_IF_ERROR(spool->StartSegment());
  return spool;
}

Spool::Spool(SpoolOptions options, SeriesRegistry* registry, FileLock lock)
    : options_(std::move(options)),
      // About eight files at the bound: fine-grained enough that dropping
      // the oldest frees an eighth, few enough to keep open.
      segment_bytes_(std::max<uint64_t>(options_.max_bytes / 8, 64 << 10)),
      registry_(registry),
      lock_(std::move(lock)) {}

Spool::~Spool() {
  for (auto& [number, segment] : segments_) {
    if (segment.fd >= 0) ::close(segment.fd);
  }
}

absl::Status Spool::Recover() {
  std::vector<uint64_t> numbers;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.dir, ec)) {
    if (uint64_t n = SegmentNumber(entry.path().filename().string()); n > 0) numbers.push_back(n);
  }
  if (ec) return absl::UnavailableError(absl::StrCat("read ", options_.dir, ": ", ec.message()));
  std::sort(numbers.begin(), numbers.end());
  absl::flat_hash_set<uint64_t> released;
  std::map<uint64_t, SpooledBatch> batches;
  for (uint64_t n : numbers) {
    Segment segment;
    segment.path = absl::StrCat(options_.dir, "/", SegmentName(n));
    segment.fd = ::open(segment.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (segment.fd < 0) {
      recovery_.damage.push_back(
          absl::StrCat(segment.path, ": cannot open: ", std::strerror(errno)));
      continue;
    }
    RecoverSegment(n, &segment, &released, &batches);
    bytes_ += segment.bytes;
    segments_.emplace(n, std::move(segment));
    current_ = n;
  }
  recovery_.segments_read = numbers.size();
  for (auto& [sequence, batch] : batches) {
    recovery_.next_sequence = std::max(recovery_.next_sequence, sequence + 1);
    if (released.contains(sequence)) continue;
    ++segments_[batch.ref.segment].live;
    recovery_.samples += batch.samples;
    recovery_.batches.push_back(batch);
  }
  for (uint64_t s : released) recovery_.next_sequence = std::max(recovery_.next_sequence, s + 1);
  for (uint64_t n : numbers) DeleteIfEmpty(n);
  return absl::OkStatus();
}

void Spool::RecoverSegment(uint64_t number, Segment* segment,
                           absl::flat_hash_set<uint64_t>* released,
                           std::map<uint64_t, SpooledBatch>* batches) {
  absl::StatusOr<std::string> file = ReadFile(segment->path);
  if (!file.ok()) {
    recovery_.damage.push_back(std::string(file.status().message()));
    return;
  }
  segment->bytes = file->size();
  FrameScan scan = ScanFrames(*file);
  if (!scan.damage.empty()) {
    recovery_.damage.push_back(absl::StrCat(segment->path, " at byte ", scan.damage_offset, ": ",
                                            scan.damage, "; the ", scan.frames.size(),
                                            " records before it are kept"));
  }
  for (const ScannedFrame& frame : scan.frames) {
    SpoolRecord record;
    if (!record.ParseFromArray(frame.payload.data(), static_cast<int>(frame.payload.size()))) {
      recovery_.damage.push_back(
          absl::StrCat(segment->path, " at byte ", frame.offset, ": not a spool record; skipped"));
      continue;
    }
    if (record.has_batch()) {
      const rollguard::v1::MetricBatch& b = record.batch();
      for (const auto& def : b.new_series()) {
        Labels labels(def.labels().begin(), def.labels().end());
        segment->remap[def.id()] = registry_->IdFor(def.metric(), labels);
      }
      if (b.series_ids_size() != b.timestamps_ms_size() || b.series_ids_size() != b.values_size() ||
          b.sequence() == 0) {
        recovery_.damage.push_back(absl::StrCat(segment->path, " at byte ", frame.offset,
                                                ": batch with uneven columns; skipped"));
        continue;
      }
      SpooledBatch& kept = (*batches)[b.sequence()];
      kept.sequence = b.sequence();
      kept.samples = static_cast<uint32_t>(b.series_ids_size());
      kept.ref = SpoolRef{number, frame.offset};
    } else if (record.kind_case() == SpoolRecord::kReleased) {
      released->insert(record.released());
    }
  }
}

absl::Status Spool::StartSegment() {
  const uint64_t number = current_ + 1;
  Segment segment;
  segment.path = absl::StrCat(options_.dir, "/", SegmentName(number));
  segment.ours = true;
  segment.fd = ::open(segment.path.c_str(),
                      O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (segment.fd < 0) return Errno("buffer spool: create", segment.path);
  if (absl::Status s = WriteAll(segment.fd, kSpoolMagic); !s.ok() || ::fdatasync(segment.fd) != 0) {
    ::close(segment.fd);
    ::unlink(segment.path.c_str());
    return Errno("buffer spool: write", segment.path);
  }
  SyncDir(options_.dir);  // the new name survives a crash too
  segment.bytes = kSpoolMagic.size();
  bytes_ += segment.bytes;
  const uint64_t previous = current_;
  segments_.emplace(number, std::move(segment));
  current_ = number;
  defined_in_current_.clear();
  DeleteIfEmpty(previous);
  return absl::OkStatus();
}

absl::Status Spool::WriteRecord(const std::string& payload, bool sync, uint64_t* offset) {
  Segment& segment = segments_.at(current_);
  const std::string frame = EncodeFrame(payload);
  absl::Status s = WriteAll(segment.fd, frame);
  if (s.ok() && sync && ::fdatasync(segment.fd) != 0)
    s = absl::UnavailableError(std::strerror(errno));
  if (!s.ok()) {
    ++write_errors_;
    absl::Status error = absl::UnavailableError(
        absl::StrCat("buffer spool: write ", segment.path, ": ", s.message()));
    // A partial frame would end the file for a reader: cut it off, and if
    // even that fails, never write after it again.
    if (::ftruncate(segment.fd, static_cast<off_t>(segment.bytes)) != 0) (void)StartSegment();
    return error;
  }
  if (offset != nullptr) *offset = segment.bytes;
  segment.bytes += frame.size();
  bytes_ += frame.size();
  return absl::OkStatus();
}

absl::StatusOr<SpoolRef> Spool::Append(uint64_t sequence,
                                       const std::vector<BufferedSample>& samples) {
  if (segments_.at(current_).bytes >= segment_bytes_) {
    if (absl::Status s = StartSegment(); !s.ok()) {
      ++write_errors_;
      return s;
    }
  }
  SpoolRecord record;
  rollguard::v1::MetricBatch* out = record.mutable_batch();
  out->set_sequence(sequence);
  std::vector<uint32_t> defined;
  for (const BufferedSample& s : samples) {
    if (!defined_in_current_.contains(s.series_id) &&
        std::find(defined.begin(), defined.end(), s.series_id) == defined.end()) {
      if (!registry_->Definition(s.series_id, out->add_new_series())) {
        return absl::InternalError(absl::StrCat("buffer spool: unknown series ", s.series_id));
      }
      defined.push_back(s.series_id);
    }
    out->add_series_ids(s.series_id);
    out->add_timestamps_ms(s.timestamp_ms);
    out->add_values(s.value);
  }
  uint64_t offset = 0;
  RETURN_IF_ERROR(WriteRecord(record.SerializeAsString(), /*sync=*/true, &offset));
  defined_in_current_.insert(defined.begin(), defined.end());
  ++segments_.at(current_).live;
  return SpoolRef{current_, offset};
}

absl::StatusOr<Batch> Spool::Read(uint64_t sequence, SpoolRef ref) {
  auto it = segments_.find(ref.segment);
  if (it == segments_.end()) {
    return absl::DataLossError(
        absl::StrCat("buffer spool: batch ", sequence, ": segment ", ref.segment, " is gone"));
  }
  const Segment& segment = it->second;
  absl::StatusOr<std::string> payload = ReadFrameAt(segment.fd, ref.offset);
  if (!payload.ok()) {
    return absl::DataLossError(
        absl::StrCat("buffer spool: ", segment.path, ": ", payload.status().message()));
  }
  SpoolRecord record;
  if (!record.ParseFromString(*payload) || !record.has_batch() ||
      record.batch().sequence() != sequence) {
    return absl::DataLossError(absl::StrCat("buffer spool: ", segment.path, " at byte ", ref.offset,
                                            ": not batch ", sequence));
  }
  const rollguard::v1::MetricBatch& b = record.batch();
  Batch out;
  out.sequence = sequence;
  out.samples.reserve(static_cast<size_t>(b.series_ids_size()));
  for (int i = 0; i < b.series_ids_size() && i < b.timestamps_ms_size() && i < b.values_size();
       ++i) {
    uint32_t id = b.series_ids(i);
    if (!segment.ours) {
      auto mapped = segment.remap.find(id);
      if (mapped == segment.remap.end()) {
        return absl::DataLossError(absl::StrCat("buffer spool: ", segment.path, ": batch ",
                                                sequence, " names undefined series ", id));
      }
      id = mapped->second;
    }
    out.samples.push_back({id, b.timestamps_ms(i), b.values(i)});
  }
  return out;
}

void Spool::Release(uint64_t sequence, SpoolRef ref) {
  auto it = segments_.find(ref.segment);
  if (it == segments_.end()) return;
  if (it->second.live > 0) --it->second.live;
  // Not synced: after a crash a release that did not reach the disk only
  // sends that batch again, which the collector stores once.
  SpoolRecord record;
  record.set_released(sequence);
  (void)WriteRecord(record.SerializeAsString(), /*sync=*/false, nullptr);
  DeleteIfEmpty(ref.segment);
}

void Spool::DeleteIfEmpty(uint64_t number) {
  auto it = segments_.find(number);
  if (it == segments_.end() || number == current_ || it->second.live > 0) return;
  ::close(it->second.fd);
  ::unlink(it->second.path.c_str());
  bytes_ -= it->second.bytes;
  segments_.erase(it);
}

bool Spool::OverBudget() const { return bytes_ > options_.max_bytes && segments_.size() > 1; }

uint64_t Spool::oldest_segment() const { return segments_.empty() ? 0 : segments_.begin()->first; }

}  // namespace rollguard::agent
