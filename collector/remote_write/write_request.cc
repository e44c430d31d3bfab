#include "collector/remote_write/write_request.h"

#include <snappy.h>

#include <algorithm>

#include "prometheus/remote.pb.h"

namespace rollguard::collector {

const WriteRequestBuilder::LabelPairs* WriteRequestBuilder::LabelsOf(SeriesId id) {
  auto it = labels_.find(id);
  if (it != labels_.end()) return &it->second;
  SeriesKey key;
  if (!storage_->GetSeries(id, &key)) return nullptr;
  LabelPairs pairs;
  pairs.reserve(key.labels.size() + 1);
  pairs.emplace_back("__name__", key.metric);
  for (const auto& [k, v] : key.labels) {
    if (k != "__name__") pairs.emplace_back(k, v);
  }
  std::sort(pairs.begin(), pairs.end());
  return &labels_.emplace(id, std::move(pairs)).first->second;
}

BuiltRequest WriteRequestBuilder::Build(absl::Span<const LogRecord> records) {
  BuiltRequest out;
  pending_ms_.clear();
  prometheus::WriteRequest request;
  absl::flat_hash_map<SeriesId, prometheus::TimeSeries*> by_series;
  for (const LogRecord& record : records) {
    for (const StoredSample& s : record.samples) {
      // A duplicate of the newest sample sent or built for its series (an
      // agent's resend) is left out; an older one is sent: receivers with an
      // out-of-order window take it, and two batches of one host may reach
      // the log in either order.
      auto pending = pending_ms_.find(s.series);
      auto sent = last_sent_ms_.find(s.series);
      if ((pending != pending_ms_.end() && s.timestamp_ms == pending->second) ||
          (sent != last_sent_ms_.end() && s.timestamp_ms == sent->second)) {
        ++out.not_newer;
        continue;
      }
      prometheus::TimeSeries*& ts = by_series[s.series];
      if (ts == nullptr) {
        const LabelPairs* labels = LabelsOf(s.series);
        if (labels == nullptr) {
          by_series.erase(s.series);
          ++out.unknown_series;
          continue;
        }
        ts = request.add_timeseries();
        for (const auto& [name, value] : *labels) {
          prometheus::Label* l = ts->add_labels();
          l->set_name(name);
          l->set_value(value);
        }
      }
      prometheus::Sample* sample = ts->add_samples();
      sample->set_value(s.value);
      sample->set_timestamp(s.timestamp_ms);
      int64_t& newest = pending_ms_.try_emplace(s.series, s.timestamp_ms).first->second;
      newest = std::max(newest, s.timestamp_ms);
      out.newest_ms = std::max(out.newest_ms, s.timestamp_ms);
      ++out.samples;
    }
  }
  out.series = static_cast<size_t>(request.timeseries_size());
  if (out.samples > 0) {
    std::string raw = request.SerializeAsString();
    snappy::Compress(raw.data(), raw.size(), &out.body);
  }
  return out;
}

void WriteRequestBuilder::Commit() {
  for (const auto& [id, ms] : pending_ms_) {
    int64_t& last = last_sent_ms_[id];
    last = std::max(last, ms);
  }
  pending_ms_.clear();
  // Both maps grow with the series sent; past the bound they start over
  // (a duplicate may then go out once; receivers take it).
  if (last_sent_ms_.size() > kMaxCachedSeries) last_sent_ms_.clear();
  if (labels_.size() > kMaxCachedSeries) labels_.clear();
}

}  // namespace rollguard::collector
