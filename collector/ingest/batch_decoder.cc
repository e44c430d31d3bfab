#include "collector/ingest/batch_decoder.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/duration.h"
#include "common/labels.h"

namespace rollguard::collector {
namespace {

uint64_t Fingerprint(const SeriesKey& key) {
  std::string canonical = key.metric;
  for (const auto& [k, v] : key.labels) absl::StrAppend(&canonical, "\x1f", k, "=", v);
  return absl::Hash<std::string>{}(canonical);
}

// Why sample `i` (dated `ts`) is outside `w`, in the operator's units.
std::string OutsideWindow(int i, int64_t ts, TimeWindow w, const IngestLimits& limits) {
  std::string when =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(ts), absl::UTCTimeZone());
  if (ts > w.max_ms) {
    const int64_t now = w.max_ms - absl::ToInt64Milliseconds(limits.max_future);
    return absl::StrCat("sample ", i, " is dated ", when, ", ",
                        FormatDurationShort(absl::Milliseconds(ts - now)),
                        " ahead of the collector's clock (max_future ",
                        FormatDurationShort(limits.max_future), ")");
  }
  return absl::StrCat("sample ", i, " is dated ", when, ", older than retention (",
                      FormatDurationShort(limits.max_age), ")");
}

}  // namespace

SeriesId StreamSeries::Lookup(uint32_t agent_id) const {
  // A 0 in the dense index may be a slot it grew over after that id was
  // defined in the map only: the map has the last word.
  if (agent_id < dense_.size() && dense_[agent_id] != 0) return dense_[agent_id];
  auto it = defined_.find(agent_id);
  return it == defined_.end() ? 0 : it->second.id;
}

StreamSeries::StreamSeries(std::string host_id, Storage* storage, IngestLimits limits)
    : host_id_(std::move(host_id)), storage_(storage), limits_(limits) {}

absl::Status StreamSeries::CheckDefinition(const rollguard::v1::SeriesDefinition& def) const {
  const std::string what = absl::StrCat("series ", def.id());
  if (def.id() == 0) return absl::InvalidArgumentError("series id 0 out of range (ids start at 1)");
  if (def.metric().size() > limits_.max_name_length || !IsValidMetricName(def.metric())) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": metric name '", def.metric().substr(0, 64), def.metric().size() > 64 ? "..." : "",
        "' must match [a-zA-Z_:][a-zA-Z0-9_:]* (at most ", limits_.max_name_length,
        " characters)"));
  }
  const std::string named = absl::StrCat(what, " (", def.metric(), ")");
  if (static_cast<size_t>(def.labels_size()) > limits_.max_labels_per_series) {
    return absl::InvalidArgumentError(absl::StrCat(named, ": ", def.labels_size(),
                                                   " labels exceeds the limit of ",
                                                   limits_.max_labels_per_series));
  }
  for (const auto& [k, v] : def.labels()) {
    if (k.size() > limits_.max_name_length || !IsValidLabelName(k)) {
      return absl::InvalidArgumentError(
          absl::StrCat(named, ": label name '", k.substr(0, 64), "' is invalid"));
    }
    if (k == "host") {
      return absl::InvalidArgumentError(
          absl::StrCat(named, ": label 'host' is reserved for the host id"));
    }
    if (v.size() > limits_.max_label_value_length) {
      return absl::InvalidArgumentError(absl::StrCat(named, ": label '", k, "' value of ", v.size(),
                                                     " bytes exceeds the limit of ",
                                                     limits_.max_label_value_length));
    }
    if (HasControlCharacter(v)) {
      return absl::InvalidArgumentError(
          absl::StrCat(named, ": label '", k, "' value contains a control character"));
    }
  }
  return absl::OkStatus();
}

absl::Status StreamSeries::Decode(const rollguard::v1::MetricBatch& batch, TimeWindow window,
                                  DecodedBatch* out) {
  const std::string where = absl::StrCat("batch ", batch.sequence(), ": ");
  const int n = batch.series_ids_size();
  if (batch.timestamps_ms_size() != n || batch.values_size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "series_ids, timestamps_ms and values must have equal lengths (got ", n,
                     ", ", batch.timestamps_ms_size(), ", ", batch.values_size(), ")"));
  }
  if (static_cast<size_t>(n) > kMaxSamplesPerBatch) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, n, " samples exceeds the limit of ", kMaxSamplesPerBatch));
  }
  // Before any work per definition: a batch cannot define more than the
  // stream may hold (a 16 MB message holds millions of tiny definitions).
  if (static_cast<size_t>(batch.new_series_size()) > limits_.max_series_per_stream) {
    return absl::ResourceExhaustedError(
        absl::StrCat(where, batch.new_series_size(), " series definitions exceeds the limit of ",
                     limits_.max_series_per_stream, " series per stream"));
  }
  // Validate every new definition first, so a bad batch changes nothing.
  absl::flat_hash_map<uint32_t, SeriesKey> pending;
  for (const auto& def : batch.new_series()) {
    if (absl::Status s = CheckDefinition(def); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, s.message()));
    }
    SeriesKey key{def.metric(), Labels(def.labels().begin(), def.labels().end())};
    key.labels["host"] = host_id_;
    auto known = defined_.find(def.id());
    if (known != defined_.end()) {
      if (known->second.fingerprint != Fingerprint(key)) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, "series id ", def.id(), " redefined as a different series"));
      }
      continue;  // the same definition again (a resend): nothing new
    }
    pending[def.id()] = std::move(key);
  }
  if (defined_.size() + pending.size() > limits_.max_series_per_stream) {
    return absl::ResourceExhaustedError(absl::StrCat(
        where, "defining ", pending.size(), " more series would exceed the limit of ",
        limits_.max_series_per_stream, " series per stream (", defined_.size(), " defined)"));
  }
  // Series new to the collector past the host's or the collector's bound are
  // refused one by one: their definitions are remembered as refused (their
  // samples, now and later on this stream, are left out and counted), and
  // the rest of the batch goes in. Refusing the whole batch would black out
  // every series of a host that once defined too many.
  std::vector<uint32_t> unknown;  // new to the collector (a reconnect redefines known ones)
  for (const auto& [agent_id, key] : pending) {
    if (!storage_->HasSeries(key)) unknown.push_back(agent_id);
  }
  std::string over_reason;
  std::vector<std::pair<uint32_t, uint64_t>> refused_now;  // agent id, fingerprint
  if (!unknown.empty()) {
    std::sort(unknown.begin(), unknown.end());  // the lowest ids get the room left
    const size_t host_held = storage_->SeriesCountOfHost(host_id_);
    const size_t held = storage_->SeriesCount();
    const size_t host_room =
        limits_.max_series_per_host > host_held ? limits_.max_series_per_host - host_held : 0;
    const size_t room = limits_.max_series > held ? limits_.max_series - held : 0;
    const size_t accept = std::min({unknown.size(), host_room, room});
    if (accept < unknown.size()) {
      over_reason =
          host_room <= room
              ? absl::StrCat(unknown.size() - accept, " new series refused: host '", host_id_,
                             "' has ", host_held, " series, its limit is ",
                             limits_.max_series_per_host, " (ingest.max_series_per_host)")
              : absl::StrCat(unknown.size() - accept, " new series refused: the collector holds ",
                             held, " series, its limit is ", limits_.max_series,
                             " (ingest.max_series)");
      for (size_t i = accept; i < unknown.size(); ++i) {
        auto it = pending.find(unknown[i]);
        refused_now.emplace_back(it->first, Fingerprint(it->second));
      }
    }
  }
  for (int i = 0; i < n; ++i) {
    uint32_t id = batch.series_ids(i);
    if (Lookup(id) == 0 && !pending.contains(id) && !defined_.contains(id)) {
      return absl::InvalidArgumentError(absl::StrCat(where, "sample ", i, " uses series id ", id,
                                                     ", never defined on this stream"));
    }
  }
  // Valid: from here on the stream's state changes.
  for (const auto& [agent_id, fp] : refused_now) {
    pending.erase(agent_id);
    defined_[agent_id] = Defined{0, fp};  // 0: refused
  }
  if (!over_reason.empty()) over_reason_ = absl::StrCat(where, over_reason);
  out->samples.clear();
  out->new_probes.clear();
  out->refused = 0;
  out->refused_reason.clear();
  for (auto& [agent_id, key] : pending) {
    Defined& d = defined_[agent_id];
    d.id = storage_->Intern(key);
    d.fingerprint = Fingerprint(key);
    if (agent_id < 4 * defined_.size() + 64) {
      if (agent_id >= dense_.size()) dense_.resize(agent_id + 1, 0);
      dense_[agent_id] = d.id;
    }
    auto probe = key.labels.find("probe");
    if (key.metric == "probe_up" && probe != key.labels.end()) {
      std::string derived = absl::StrCat(probe->second, "_downtime");
      if (IsValidMetricName(derived)) {
        out->new_probes.push_back({d.id, storage_->Intern({derived, {{"host", host_id_}}})});
      }
    }
  }
  out->samples.reserve(n);
  for (int i = 0; i < n; ++i) {
    const int64_t ts = batch.timestamps_ms(i);
    if (ts < window.min_ms || ts > window.max_ms) {
      if (out->refused++ == 0) out->refused_reason = OutsideWindow(i, ts, window, limits_);
      continue;
    }
    const SeriesId series = Lookup(batch.series_ids(i));
    if (series == 0) {  // a definition refused over a series bound
      if (out->refused++ == 0) out->refused_reason = over_reason_;
      continue;
    }
    out->samples.push_back({series, ts, batch.values(i)});
  }
  return absl::OkStatus();
}

}  // namespace rollguard::collector
