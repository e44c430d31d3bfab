#include "agent/buffer/sample_buffer.h"

#include <algorithm>
#include <chrono>

#include "common/mutex.h"

namespace rollguard::agent {

SampleBuffer::SampleBuffer(size_t max_samples) : max_samples_(std::max<size_t>(max_samples, 1)) {}

uint64_t SampleBuffer::Push(std::vector<BufferedSample> samples) {
  if (samples.empty()) return 0;
  MutexLock lock(&mu_);
  if (samples.size() > max_samples_) {
    // A single batch larger than the whole buffer keeps its newest samples.
    size_t extra = samples.size() - max_samples_;
    samples.erase(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(extra));
    dropped_ += extra;
  }
  samples_ += samples.size();
  uint64_t seq = next_sequence_++;
  entries_.push_back(Entry{Batch{seq, std::move(samples)}, false});
  while (samples_ > max_samples_) DropOldestLocked();
  cv_.notify_all();
  return seq;
}

void SampleBuffer::DropOldestLocked() {
  Entry& oldest = entries_.front();
  samples_ -= oldest.batch.samples.size();
  dropped_ += oldest.batch.samples.size();
  if (oldest.sent) --in_flight_;
  entries_.pop_front();
}

std::vector<Batch> SampleBuffer::TakeUnsent(size_t max_batches, size_t max_in_flight,
                                            absl::Duration wait) {
  MutexLock lock(&mu_);
  auto ready = [&] {
    mu_.AssertHeld();  // a wait predicate runs with the lock retaken
    if (woken_) return true;
    if (in_flight_ >= max_in_flight) return false;
    return std::any_of(entries_.begin(), entries_.end(), [](const Entry& e) { return !e.sent; });
  };
  cv_.wait_for(lock.native(), absl::ToChronoMilliseconds(wait), ready);
  woken_ = false;
  std::vector<Batch> out;
  for (Entry& e : entries_) {
    if (out.size() >= max_batches || in_flight_ >= max_in_flight) break;
    if (e.sent) continue;
    e.sent = true;
    ++in_flight_;
    out.push_back(e.batch);
  }
  return out;
}

void SampleBuffer::Remove(uint64_t sequence) {
  MutexLock lock(&mu_);
  // Sequences are increasing, so binary search the deque.
  auto it = std::lower_bound(entries_.begin(), entries_.end(), sequence,
                             [](const Entry& e, uint64_t s) { return e.batch.sequence < s; });
  if (it == entries_.end() || it->batch.sequence != sequence) return;
  samples_ -= it->batch.samples.size();
  if (it->sent) --in_flight_;
  entries_.erase(it);
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

}  // namespace rollguard::agent
