#include "agent/buffer/sample_buffer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "common/mutex.h"

namespace rollguard::agent {

namespace {

int ClampConsumers(int n) { return std::clamp(n, 1, 32); }

uint32_t Bit(int consumer) { return uint32_t{1} << consumer; }

}  // namespace

SampleBuffer::SampleBuffer(size_t max_samples, int consumers)
    : max_samples_(std::max<size_t>(max_samples, 1)),
      consumers_(ClampConsumers(consumers)),
      all_acked_(consumers_ == 32 ? ~uint32_t{0} : Bit(consumers_) - 1),
      in_flight_(consumers_, 0),
      cursor_(consumers_, 0),
      woken_(consumers_, false) {}

void SampleBuffer::AttachSpool(std::unique_ptr<Spool> spool) {
  MutexLock lock(&mu_);
  for (const SpooledBatch& b : spool->recovery().batches) {
    entries_.push_back(Entry{b.sequence, b.samples, 0, 0, {}, b.ref});
    samples_ += b.samples;
    ++stubs_;
  }
  next_sequence_ = std::max(next_sequence_, spool->recovery().next_sequence);
  spool_ = std::move(spool);
  EnforceBoundsLocked();  // the bound may have been lowered since
  cv_.notify_all();
}

uint64_t SampleBuffer::Push(std::vector<BufferedSample> samples) {
  if (samples.empty()) return 0;
  MutexLock lock(&mu_);
  if (samples.size() > max_samples_) {
    // A single batch larger than the whole buffer keeps its newest samples.
    size_t extra = samples.size() - max_samples_;
    samples.erase(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(extra));
    dropped_ += extra;
  }
  Entry e{next_sequence_++, static_cast<uint32_t>(samples.size()), 0, 0, std::move(samples), {}};
  if (spool_) {
    absl::StatusOr<SpoolRef> ref = spool_->Append(e.sequence, e.samples);
    if (ref.ok()) {
      e.ref = *ref;
    } else if (const uint64_t n = spool_->write_errors(); n <= 1 || n % 1000 == 0) {
      // Kept in memory meanwhile; counted in spool write errors.
      spdlog::error("{} (batch kept in memory only; {} spool write errors so far)",
                    std::string(ref.status().message()), spool_->write_errors());
    }
  }
  const uint64_t seq = e.sequence;
  samples_ += e.count;
  resident_ += e.count;
  entries_.push_back(std::move(e));
  EnforceBoundsLocked();
  cv_.notify_all();
  return seq;
}

void SampleBuffer::EnforceBoundsLocked() {
  if (!spool_) {
    while (samples_ > max_samples_) EraseLocked(entries_.begin(), /*dropped=*/true);
    return;
  }
  // The byte bound: drop the oldest segment's batches (and anything older
  // that never reached the disk); the spool deletes the emptied file.
  while (spool_->OverBudget()) {
    const uint64_t oldest = spool_->oldest_segment();
    while (!entries_.empty() && entries_.front().ref.segment <= oldest) {
      EraseLocked(entries_.begin(), /*dropped=*/true);
    }
    if (spool_->OverBudget() && spool_->oldest_segment() == oldest) break;  // nothing left to drop
  }
  // The memory bound: the oldest resident batches leave memory, kept on disk.
  while (resident_ > max_samples_ && stubs_ < entries_.size()) {
    Entry& e = entries_[stubs_];
    if (e.ref.segment == 0) {  // never written: dropping is all that is left
      EraseLocked(entries_.begin() + static_cast<std::ptrdiff_t>(stubs_), /*dropped=*/true);
      continue;
    }
    resident_ -= e.count;
    std::vector<BufferedSample>().swap(e.samples);
    ++stubs_;
  }
}

void SampleBuffer::EraseLocked(Iterator it, bool dropped) {
  const size_t index = static_cast<size_t>(it - entries_.begin());
  samples_ -= it->count;
  if (index < stubs_) {
    --stubs_;
  } else {
    resident_ -= it->count;
  }
  for (int c = 0; c < consumers_; ++c) {
    if ((it->sent & Bit(c)) != 0) --in_flight_[c];
    if (index < cursor_[c]) --cursor_[c];
  }
  if (dropped) dropped_ += it->count;
  if (spool_) spool_->Release(it->sequence, it->ref);
  entries_.erase(it);
}

absl::StatusOr<Batch> SampleBuffer::LoadLocked(const Entry& e) {
  if (!e.samples.empty()) return Batch{e.sequence, e.samples};
  return spool_->Read(e.sequence, e.ref);
}

bool SampleBuffer::NextUnsentLocked(int c) {
  // Past what c already acknowledged (after a reconnect, acknowledgements
  // of later batches may have come before those of earlier ones).
  while (cursor_[c] < entries_.size() && (entries_[cursor_[c]].acked & Bit(c)) != 0) ++cursor_[c];
  return cursor_[c] < entries_.size();
}

std::vector<Batch> SampleBuffer::TakeUnsent(size_t max_batches, size_t max_in_flight,
                                            absl::Duration wait, int consumer) {
  const int c = std::clamp(consumer, 0, consumers_ - 1);
  MutexLock lock(&mu_);
  auto ready = [&] {
    mu_.AssertHeld();  // a wait predicate runs with the lock retaken
    return woken_[c] || (in_flight_[c] < max_in_flight && NextUnsentLocked(c));
  };
  cv_.wait_for(lock.native(), absl::ToChronoMilliseconds(wait), ready);
  woken_[c] = false;
  std::vector<Batch> out;
  // c's first unsent entry is at (or, past acknowledged ones, after) its cursor.
  while (out.size() < max_batches && in_flight_[c] < max_in_flight && NextUnsentLocked(c)) {
    auto it = entries_.begin() + static_cast<std::ptrdiff_t>(cursor_[c]);
    absl::StatusOr<Batch> batch = LoadLocked(*it);
    if (!batch.ok()) {
      ++read_errors_;
      spdlog::error("{}; its {} samples are dropped", std::string(batch.status().message()),
                    it->count);
      EraseLocked(it, /*dropped=*/true);
      continue;
    }
    it->sent |= Bit(c);
    ++in_flight_[c];
    ++cursor_[c];
    out.push_back(std::move(*batch));
  }
  return out;
}

void SampleBuffer::Remove(uint64_t sequence, int consumer) {
  const int c = std::clamp(consumer, 0, consumers_ - 1);
  MutexLock lock(&mu_);
  // Sequences are increasing, so binary search the deque.
  auto it = std::lower_bound(entries_.begin(), entries_.end(), sequence,
                             [](const Entry& e, uint64_t s) { return e.sequence < s; });
  if (it == entries_.end() || it->sequence != sequence || (it->acked & Bit(c)) != 0) return;
  if ((it->sent & Bit(c)) != 0) {
    it->sent &= ~Bit(c);
    --in_flight_[c];
  }
  it->acked |= Bit(c);
  if (it->acked == all_acked_) EraseLocked(it, /*dropped=*/false);
  cv_.notify_all();
}

void SampleBuffer::MarkAllUnsent(int consumer) {
  const int c = std::clamp(consumer, 0, consumers_ - 1);
  MutexLock lock(&mu_);
  for (Entry& e : entries_) e.sent &= ~Bit(c);
  in_flight_[c] = 0;
  cursor_[c] = 0;
}

void SampleBuffer::Wake() {
  MutexLock lock(&mu_);
  for (int c = 0; c < consumers_; ++c) woken_[c] = true;
  cv_.notify_all();
}

size_t SampleBuffer::buffered_samples() const {
  MutexLock lock(&mu_);
  return samples_;
}

uint64_t SampleBuffer::dropped_samples() const {
  MutexLock lock(&mu_);
  return dropped_;
}

size_t SampleBuffer::batches() const {
  MutexLock lock(&mu_);
  return entries_.size();
}

SpoolStats SampleBuffer::spool_stats() const {
  MutexLock lock(&mu_);
  SpoolStats s;
  s.resident_samples = resident_;
  s.read_errors = read_errors_;
  if (spool_) {
    s.enabled = true;
    s.bytes = spool_->bytes();
    s.segments = spool_->segments();
    s.write_errors = spool_->write_errors();
  }
  return s;
}

}  // namespace rollguard::agent
