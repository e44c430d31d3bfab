#include "agent/statsd/statsd_aggregator.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace rollguard::agent {
namespace {

absl::string_view BaseName(absl::string_view name) {
  size_t dot = name.rfind('.');
  return dot == absl::string_view::npos ? name : name.substr(dot + 1);
}

absl::string_view TagValue(const StatsdLine& line, absl::string_view key) {
  for (const StatsdTag& t : line.tags) {
    if (t.key == key) return t.value;
  }
  return {};
}

std::string SanitizeLabelName(absl::string_view name) {
  std::string out = SanitizeMetricName(name);
  std::replace(out.begin(), out.end(), ':', '_');
  return out;
}

}  // namespace

std::string SanitizeMetricName(absl::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  for (char c : name) out += (absl::ascii_isalnum(c) || c == '_' || c == ':') ? c : '_';
  if (out.empty() || absl::ascii_isdigit(out[0])) out.insert(out.begin(), '_');
  return out;
}

StatsdAggregator::StatsdAggregator(StatsdMapping mapping)
    : mapping_(std::move(mapping)), window_(mapping_.window_seconds) {}

void StatsdAggregator::Add(const StatsdLine& line, int64_t now_ms) {
  const double weight = 1.0 / line.sample_rate;
  absl::string_view base = BaseName(line.name);
  bool timing = line.type == StatsdType::kTimer || line.type == StatsdType::kHistogram ||
                line.type == StatsdType::kDistribution;
  if (timing && base == mapping_.response_time) {
    absl::string_view op = TagValue(line, mapping_.op_tag);
    for (double ms : line.values) window_.RecordResponse(op, ms / 1000.0, weight, now_ms);
    return;
  }
  if (timing && base == mapping_.channel_creation) {
    for (double ms : line.values) window_.RecordChannelCreation(ms / 1000.0, weight, now_ms);
    return;
  }
  if (line.type == StatsdType::kCounter && base == mapping_.errors) {
    double n = 0;
    for (double v : line.values) n += v * weight;
    window_.RecordError(TagValue(line, mapping_.op_tag), TagValue(line, mapping_.type_tag), n,
                        now_ms);
    return;
  }
  AddPassthrough(line);
}

void StatsdAggregator::AddPassthrough(const StatsdLine& line) {
  // Key: name, type and tags, in arrival order (clients send tags consistently).
  std::string key(line.name);
  absl::StrAppend(&key, "|", static_cast<int>(line.type));
  for (const StatsdTag& t : line.tags) absl::StrAppend(&key, "|", t.key, ":", t.value);
  auto it = passthrough_.find(key);
  if (it == passthrough_.end()) {
    if (passthrough_.size() >= mapping_.max_passthrough_series) {
      ++passthrough_overflow_;
      return;
    }
    Passthrough p;
    p.type = line.type;
    p.name = SanitizeMetricName(line.name);
    for (const StatsdTag& t : line.tags) {
      p.labels[SanitizeLabelName(t.key)] = std::string(t.value.substr(0, 128));
    }
    p.labels.erase("host");  // the collector owns host
    it = passthrough_.emplace(std::move(key), std::move(p)).first;
  }
  Passthrough& p = it->second;
  const double weight = 1.0 / line.sample_rate;
  switch (line.type) {
    case StatsdType::kCounter:
      for (double v : line.values) p.sum += v * weight;
      p.count += 1;
      break;
    case StatsdType::kGauge:
      for (double v : line.values) p.last = line.gauge_delta ? p.last + v : v;
      p.count += 1;
      break;
    case StatsdType::kSet:
      if (p.members.size() < 100000) p.members.emplace(line.set_member);
      p.count += 1;
      break;
    default:
      for (double v : line.values) {
        p.sum += v * weight;
        p.count += weight;
        p.max = p.count == weight ? v : std::max(p.max, v);
      }
  }
}

void StatsdAggregator::Collect(int64_t now_ms, Readings* out) {
  window_.Summarize(now_ms, out);
  for (auto& [key, p] : passthrough_) {
    if (p.count == 0) continue;  // nothing this interval
    switch (p.type) {
      case StatsdType::kCounter:
        out->push_back({p.name, p.labels, p.sum});
        break;
      case StatsdType::kGauge:
        out->push_back({p.name, p.labels, p.last});
        break;
      case StatsdType::kSet:
        out->push_back({p.name, p.labels, static_cast<double>(p.members.size())});
        break;
      default:
        out->push_back({p.name + "_count", p.labels, p.count});
        out->push_back({p.name + "_avg", p.labels, p.sum / p.count});
        out->push_back({p.name + "_max", p.labels, p.max});
    }
    // Gauges keep their value for relative updates; everything else restarts.
    p.sum = 0;
    p.max = 0;
    p.count = 0;
    p.members.clear();
  }
}

}  // namespace rollguard::agent
