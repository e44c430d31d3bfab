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
  if (!absl::ConsumePrefix(&name, kSegmentPrefix) || !absl::ConsumeSuffix(&name, kSegmentSuffix) ||
      name.size() != 16) {
    return 0;
  }
  uint64_t n = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + static_cast<uint64_t>(c - '0');
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

// The whole of the open file `fd`, at most `max` bytes.
absl::StatusOr<std::string> ReadAll(int fd, uint64_t max) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return absl::UnavailableError(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return absl::FailedPreconditionError("not a regular file");
  if (static_cast<uint64_t>(st.st_size) > max) {
    return absl::FailedPreconditionError(
        absl::StrCat(st.st_size, " bytes, more than a segment can hold (", max, ")"));
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::UnavailableError(std::strerror(errno));
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

// A real folder (not a link) owned by this user.
absl::Status CheckOwnership(const std::string& dir, const struct stat& st) {
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("buffer spool_dir ", dir, ": not a folder (a link or a file)"));
  }
  if (st.st_uid != ::geteuid()) {
    return absl::FailedPreconditionError(absl::StrCat("buffer spool_dir ", dir, ": owned by uid ",
                                                      st.st_uid, ", not by this agent (uid ",
                                                      ::geteuid(), ")"));
  }
  return absl::OkStatus();
}

// The folder holds this host's samples, and the agent may run as root: it
// must be a real folder (not a link), owned by this user, writable by no
// one else, so nobody else can plant files, links or FIFOs in it.
absl::Status CheckFolder(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return Errno("buffer spool_dir", dir);
  RETURN_IF_ERROR(CheckOwnership(dir, st));
  if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0) {
    return Errno("buffer spool_dir: chmod 0700", dir);
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

absl::Status CheckSpoolFolder(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();  // made at start
    return Errno("buffer spool_dir", dir);
  }
  return CheckOwnership(dir, st);
}

absl::StatusOr<std::unique_ptr<Spool>> Spool::Open(SpoolOptions options, SeriesRegistry* registry) {
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("buffer spool_dir ", options.dir, ": cannot create: ", ec.message()));
  }
  RETURN_IF_ERROR(CheckFolder(options.dir));
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
      segment_bytes_(std::clamp<uint64_t>(options_.max_bytes / 8, 64 << 10, kMaxSegmentBytes)),
      registry_(registry),
      lock_(std::move(lock)) {}

Spool::~Spool() {
  if (write_fd_ >= 0) ::close(write_fd_);
  if (read_fd_ >= 0) ::close(read_fd_);
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
    // New files number after every file found, read or not.
    current_ = std::max(current_, n);
    Segment segment;
    segment.path = absl::StrCat(options_.dir, "/", SegmentName(n));
    // O_NONBLOCK: a FIFO at this name must not hang start-up (ReadAll
    // refuses anything but a regular file).
    int fd = ::open(segment.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    absl::StatusOr<std::string> file =
        fd < 0 ? absl::UnavailableError(std::strerror(errno)) : ReadAll(fd, kMaxSegmentBytes * 2);
    if (fd >= 0) ::close(fd);
    if (!file.ok()) {
      // Left where it is, untouched: a later start may read it.
      recovery_.damage.push_back(absl::StrCat(segment.path, ": cannot read (",
                                              file.status().message(), "); left in place"));
      continue;
    }
    RecoverSegment(n, *file, &segment, &released, &batches);
    bytes_ += segment.bytes;
    segments_.emplace(n, std::move(segment));
  }
  recovery_.segments_read = segments_.size();
  // Sequences never go back, even past a file that could not be read: at
  // least the start time in microseconds (fewer than one batch a
  // microsecond is ever made), and above every sequence found.
  recovery_.next_sequence =
      static_cast<uint64_t>(std::max<int64_t>(1, absl::ToUnixMicros(absl::Now())));
  for (auto& [sequence, batch] : batches) {
    recovery_.next_sequence = std::max(recovery_.next_sequence, sequence + 1);
    if (released.contains(sequence)) continue;
    ++segments_[batch.ref.segment].live;
    recovery_.samples += batch.samples;
    recovery_.batches.push_back(batch);
  }
  for (uint64_t s : released) recovery_.next_sequence = std::max(recovery_.next_sequence, s + 1);
  return absl::OkStatus();
}

void Spool::RecoverSegment(uint64_t number, const std::string& file, Segment* segment,
                           absl::flat_hash_set<uint64_t>* released,
                           std::map<uint64_t, SpooledBatch>* batches) {
  segment->bytes = file.size();
  FrameScan scan = ScanFrames(file);
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
  int fd = ::open(segment.path.c_str(),
                  O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Errno("buffer spool: create", segment.path);
  if (absl::Status s = WriteAll(fd, kSpoolMagic); !s.ok() || ::fdatasync(fd) != 0) {
    ::close(fd);
    ::unlink(segment.path.c_str());
    return Errno("buffer spool: write", segment.path);
  }
  SyncDir(options_.dir);  // the new name survives a crash too
  if (write_fd_ >= 0) ::close(write_fd_);
  write_fd_ = fd;
  writable_ = true;
  segment.bytes = kSpoolMagic.size();
  bytes_ += segment.bytes;
  segments_.emplace(number, std::move(segment));
  current_ = number;
  defined_in_current_.clear();
  DeleteReleased();
  return absl::OkStatus();
}

absl::Status Spool::WriteRecord(const std::string& payload, bool sync, uint64_t* offset) {
  Segment& segment = segments_.at(current_);
  if (!writable_) {
    return absl::UnavailableError(
        absl::StrCat("buffer spool: ", segment.path, " ends in a torn write"));
  }
  const std::string frame = EncodeFrame(payload);
  absl::Status s = WriteAll(write_fd_, frame);
  if (s.ok() && sync && ::fdatasync(write_fd_) != 0) {
    s = absl::UnavailableError(std::strerror(errno));
  }
  if (!s.ok()) {
    ++write_errors_;
    // A partial frame would end the file for a reader: cut it off, and if
    // even that fails, never write after it again (the next Append tries a
    // new file).
    if (::ftruncate(write_fd_, static_cast<off_t>(segment.bytes)) != 0) writable_ = false;
    return absl::UnavailableError(
        absl::StrCat("buffer spool: write ", segment.path, ": ", s.message()));
  }
  if (offset != nullptr) *offset = segment.bytes;
  segment.bytes += frame.size();
  bytes_ += frame.size();
  return absl::OkStatus();
}

absl::StatusOr<SpoolRef> Spool::Append(uint64_t sequence,
                                       const std::vector<BufferedSample>& samples) {
  if (!writable_ || segments_.at(current_).bytes >= segment_bytes_) {
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
        ++write_errors_;
        return absl::InternalError(absl::StrCat("buffer spool: unknown series ", s.series_id));
      }
      defined.push_back(s.series_id);
    }
    out->add_series_ids(s.series_id);
    out->add_timestamps_ms(s.timestamp_ms);
    out->add_values(s.value);
  }
  const std::string payload = record.SerializeAsString();
  if (payload.size() > kMaxFramePayload) {
    ++write_errors_;
    return absl::ResourceExhaustedError(absl::StrCat("buffer spool: batch ", sequence, " is ",
                                                     payload.size(), " bytes, over one record's ",
                                                     kMaxFramePayload));
  }
  uint64_t offset = 0;
  RETURN_IF_ERROR(WriteRecord(payload, /*sync=*/true, &offset));
  defined_in_current_.insert(defined.begin(), defined.end());
  ++segments_.at(current_).live;
  return SpoolRef{current_, offset};
}

absl::StatusOr<int> Spool::ReadFd(uint64_t number, const Segment& segment) {
  if (number == current_ && write_fd_ >= 0) return write_fd_;
  if (read_fd_ >= 0 && read_segment_ == number) return read_fd_;
  // One file open for reading at a time: batches are read back oldest
  // first, so this is reopened once a file, and fds never pile up.
  if (read_fd_ >= 0) ::close(read_fd_);
  read_fd_ = ::open(segment.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  read_segment_ = number;
  if (read_fd_ < 0) return Errno("buffer spool: open", segment.path);
  return read_fd_;
}

absl::StatusOr<Batch> Spool::Read(uint64_t sequence, SpoolRef ref) {
  auto it = segments_.find(ref.segment);
  if (it == segments_.end()) {
    return absl::DataLossError(
        absl::StrCat("buffer spool: batch ", sequence, ": segment ", ref.segment, " is gone"));
  }
  const Segment& segment = it->second;
  ASSIGN_OR_RETURN(int fd, ReadFd(ref.segment, segment));
  absl::StatusOr<std::string> payload = ReadFrameAt(fd, ref.offset);
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
  DeleteReleased();
}

void Spool::DeleteReleased() {
  // Oldest first only: a file's release records are about its own batches
  // or older ones, so once every older file is gone nothing still on disk
  // needs them.
  while (!segments_.empty() && segments_.begin()->first != current_ &&
         segments_.begin()->second.live == 0) {
    auto it = segments_.begin();
    if (read_fd_ >= 0 && read_segment_ == it->first) {
      ::close(read_fd_);
      read_fd_ = -1;
    }
    ::unlink(it->second.path.c_str());
    bytes_ -= it->second.bytes;
    segments_.erase(it);
  }
}

bool Spool::OverBudget() const { return bytes_ > options_.max_bytes && segments_.size() > 1; }

uint64_t Spool::oldest_segment() const { return segments_.empty() ? 0 : segments_.begin()->first; }

}  // namespace rollguard::agent
