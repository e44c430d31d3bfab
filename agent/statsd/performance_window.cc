#include "agent/statsd/performance_window.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace rollguard::agent {
namespace {

// Log-spaced bins from 0.1 ms up; growth 4% per bin keeps a bin's midpoint
// within 2% of any value in it.
constexpr double kMinSeconds = 1e-4;
constexpr double kGrowth = 1.04;
const double kLogGrowth = std::log(kGrowth);
constexpr int kBins = 600;

uint16_t BinOf(double seconds) {
  if (seconds <= kMinSeconds) return 0;
  int b = static_cast<int>(std::log(seconds / kMinSeconds) / kLogGrowth) + 1;
  return static_cast<uint16_t>(std::min(b, kBins - 1));
}

double BinValue(uint16_t bin) {
  if (bin == 0) return kMinSeconds;
  // Geometric middle of [min*g^(b-1), min*g^b).
  return kMinSeconds * std::pow(kGrowth, bin - 0.5);
}

constexpr absl::string_view kOtherOp = "other";

}  // namespace

PerformanceWindow::PerformanceWindow(int window_seconds, size_t max_ops)
    : window_(std::max(window_seconds, 1)), max_ops_(max_ops) {
  all_.ring.resize(window_);
  channels_.ring.resize(window_);
  hist_.resize(window_);
}

PerformanceWindow::Stats& PerformanceWindow::Window::At(int64_t second) {
  Stats& s = ring[static_cast<size_t>(second % static_cast<int64_t>(ring.size()))];
  if (s.second != second) s.Reset(second);
  return s;
}

PerformanceWindow::Stats PerformanceWindow::Window::Total(int64_t now_second, int window) const {
  Stats t;
  for (const Stats& s : ring) {
    if (s.second < 0 || s.second <= now_second - window || s.second > now_second) continue;
    t.ops += s.ops;
    t.sum += s.sum;
    t.errors += s.errors;
    t.max = std::max(t.max, s.max);
  }
  return t;
}

PerformanceWindow::Window& PerformanceWindow::OpWindow(absl::string_view op) {
  auto it = ops_.find(op);
  if (it != ops_.end()) return it->second;
  // Bound memory against a bot that tags with unbounded values.
  absl::string_view key = ops_.size() < max_ops_ ? op : kOtherOp;
  auto [ins, _] = ops_.try_emplace(key);
  if (ins->second.ring.empty()) ins->second.ring.resize(window_);
  return ins->second;
}

void PerformanceWindow::RecordResponse(absl::string_view op, double seconds, double weight,
                                       int64_t now_ms) {
  has_data_ = true;
  int64_t sec = now_ms / 1000;
  for (Window* w : {&all_, &OpWindow(op.empty() ? "unknown" : op)}) {
    Stats& s = w->At(sec);
    s.ops += weight;
    s.sum += seconds * weight;
    s.max = std::max(s.max, seconds);
  }
  Histogram& h = hist_[static_cast<size_t>(sec % window_)];
  if (h.second != sec) {
    h.second = sec;
    h.bins.clear();
  }
  h.bins[BinOf(seconds)] += weight;
}

void PerformanceWindow::RecordError(absl::string_view op, absl::string_view type, double count,
                                    int64_t now_ms) {
  has_data_ = true;
  int64_t sec = now_ms / 1000;
  all_.At(sec).errors += count;
  OpWindow(op.empty() ? "unknown" : op).At(sec).errors += count;
  absl::string_view t = type.empty() ? "unknown" : type;
  auto it = error_types_.find(t);
  if (it == error_types_.end()) {
    it = error_types_.try_emplace(error_types_.size() < max_ops_ ? t : kOtherOp).first;
    if (it->second.ring.empty()) it->second.ring.resize(window_);
  }
  it->second.At(sec).errors += count;
}

void PerformanceWindow::RecordChannelCreation(double seconds, double weight, int64_t now_ms) {
  has_data_ = true;
  has_channels_ = true;
  Stats& s = channels_.At(now_ms / 1000);
  s.ops += weight;
  s.sum += seconds * weight;
  s.max = std::max(s.max, seconds);
}

double PerformanceWindow::ResponsePercentile(double pct, int64_t now_ms) const {
  int64_t now_s = now_ms / 1000;
  std::map<uint16_t, double> merged;
  double total = 0;
  for (const Histogram& h : hist_) {
    if (h.second < 0 || h.second <= now_s - window_ || h.second > now_s) continue;
    for (const auto& [bin, n] : h.bins) {
      merged[bin] += n;
      total += n;
    }
  }
  if (total <= 0) return 0;
  double rank = pct / 100.0 * total;
  double seen = 0;
  for (const auto& [bin, n] : merged) {
    seen += n;
    if (seen >= rank) return BinValue(bin);
  }
  return BinValue(merged.rbegin()->first);
}

void PerformanceWindow::Summarize(int64_t now_ms, Readings* out) const {
  if (!has_data_) return;
  int64_t now_s = now_ms / 1000;
  auto emit = [&](const char* metric, double v, Labels labels = {}) {
    out->push_back({metric, std::move(labels), v});
  };
  auto emit_stats = [&](const Stats& t, Labels labels) {
    emit("avg_response_time", t.ops > 0 ? t.sum / t.ops : 0, labels);
    emit("max_response_time", t.max, labels);
    emit("error_rate", t.errors / std::max(t.ops, 1.0) * 100.0, labels);
    emit("total_operations", t.ops, labels);
    emit("total_errors", t.errors, labels);
  };
  emit_stats(all_.Total(now_s, window_), {});
  emit("response_time_p50", ResponsePercentile(50, now_ms));
  emit("response_time_p95", ResponsePercentile(95, now_ms));
  emit("response_time_p99", ResponsePercentile(99, now_ms));
  for (const auto& [op, w] : ops_) emit_stats(w.Total(now_s, window_), {{"op", op}});
  for (const auto& [type, w] : error_types_) {
    emit("total_errors", w.Total(now_s, window_).errors, {{"type", type}});
  }
  Stats ch = channels_.Total(now_s, window_);
  if (has_channels_) {
    emit("channel_creation_time", ch.ops > 0 ? ch.sum / ch.ops : 0);
    emit("channel_creation_time_max", ch.max);
    emit("channel_creations", ch.ops);
  }
}

}  // namespace rollguard::agent
