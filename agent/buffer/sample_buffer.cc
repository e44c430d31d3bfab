#include "agent/buffer/sample_buffer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "common/mutex.h"

namespace rollguard::agent {

SampleBuffer::SampleBuffer(size_t max_samples) : max_samples_(std::max<size_t>(max_samples, 1)) {}

void SampleBuffer::AttachSpool(std::unique_ptr<Spool> spool) {
  MutexLock lock(&mu_);
  for (const SpooledBatch& b : spool->recovery().batches) {
    entries_.push_back(Entry{b.sequence, b.samples, false, {}, b.ref});
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
  Entry e{next_sequence_++, static_cast<uint32_t>(samples.size()), false, std::move(samples), {}};
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
  if (it->sent) --in_flight_;
  if (dropped) dropped_ += it->count;
  if (spool_) spool_->Release(it->sequence, it->ref);
  entries_.erase(it);
}

absl::StatusOr<Batch> SampleBuffer::LoadLocked(const Entry& e) {
  if (!e.samples.empty()) return Batch{e.sequence, e.samples};
  return spool_->Read(e.sequence, e.ref);
}

std::vector<Batch> SampleBuffer::TakeUnsent(size_t max_batches, size_t max_in_flight,
                                            absl::Duration wait) {
  MutexLock lock(&mu_);
  auto ready = [&] {
    mu_.AssertHeld();  // a wait predicate runs with the lock retaken
    return woken_ || (in_flight_ < max_in_flight && in_flight_ < entries_.size());
  };
  cv_.wait_for(lock.native(), absl::ToChronoMilliseconds(wait), ready);
  woken_ = false;
  std::vector<Batch> out;
  // The first unsent entry is always at in_flight_ (see the invariants).
  while (out.size() < max_batches && in_flight_ < max_in_flight && in_flight_ < entries_.size()) {
    auto it = entries_.begin() + static_cast<std::ptrdiff_t>(in_flight_);
    absl::StatusOr<Batch> batch = LoadLocked(*it);
    if (!batch.ok()) {
      ++read_errors_;
      spdlog::error("{}; its {} samples are dropped", std::string(batch.status().message()),
                    it->count);
      EraseLocked(it, /*dropped=*/true);
      continue;
    }
    it->sent = true;
    ++in_flight_;
    out.push_back(std::move(*batch));
  }
  return out;
}

void SampleBuffer::Remove(uint64_t sequence) {
  MutexLock lock(&mu_);
  // Sequences are increasing, so binary search the deque.
  auto it = std::lower_bound(entries_.begin(), entries_.end(), sequence,
                             [](const Entry& e, uint64_t s) { return e.sequence < s; });
  if (it == entries_.end() || it->sequence != sequence) return;
  EraseLocked(it, /*dropped=*/false);
  cv_.notify_all();
}

void SampleBuffer::MarkAllUnsent() {
  MutexLock lock(&mu_);
  for (Entry& e : entries_) e.sent = false;
  in_flight_ = 0;
}

void SampleBuffer::Wake() {
  MutexLock lock(&mu_);
  woken_ = true;
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
