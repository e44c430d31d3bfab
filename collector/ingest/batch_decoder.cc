#include "collector/ingest/batch_decoder.h"

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "common/labels.h"

namespace rollguard::collector {
namespace {

uint64_t Fingerprint(const SeriesKey& key) {
  std::string canonical = key.metric;
  for (const auto& [k, v] : key.labels) absl::StrAppend(&canonical, "\x1f", k, "=", v);
  return absl::Hash<std::string>{}(canonical);
}

}  // namespace

StreamSeries::StreamSeries(std::string host_id, Storage* storage)
    : host_id_(std::move(host_id)), storage_(storage) {}

absl::Status StreamSeries::CheckDefinition(const rollguard::v1::SeriesDefinition& def) const {
  if (def.id() == 0 || def.id() >= kMaxAgentSeriesId) {
    return absl::InvalidArgumentError(
        absl::StrCat("series id ", def.id(), " out of range [1, ", kMaxAgentSeriesId, ")"));
  }
  if (!IsValidMetricName(def.metric())) {
    return absl::InvalidArgumentError(absl::StrCat("series ", def.id(), ": metric name '",
                                                   def.metric(),
                                                   "' must match [a-zA-Z_:][a-zA-Z0-9_:]*"));
  }
  for (const auto& [k, v] : def.labels()) {
    if (!IsValidLabelName(k)) {
      return absl::InvalidArgumentError(absl::StrCat("series ", def.id(), " (", def.metric(),
                                                     "): label name '", k, "' is invalid"));
    }
    if (k == "host") {
      return absl::InvalidArgumentError(absl::StrCat(
          "series ", def.id(), " (", def.metric(), "): label 'host' is reserved for the host id"));
    }
  }
  return absl::OkStatus();
}

absl::Status StreamSeries::Decode(const rollguard::v1::MetricBatch& batch, DecodedBatch* out) {
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
  // Validate every new definition first, so a bad batch changes nothing.
  absl::flat_hash_map<uint32_t, SeriesKey> pending;
  for (const auto& def : batch.new_series()) {
    if (absl::Status s = CheckDefinition(def); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, s.message()));
    }
    SeriesKey key{def.metric(), Labels(def.labels().begin(), def.labels().end())};
    key.labels["host"] = host_id_;
    if (def.id() < fingerprints_.size() && ids_[def.id()] != 0 &&
        fingerprints_[def.id()] != Fingerprint(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "series id ", def.id(), " redefined as a different series"));
    }
    pending[def.id()] = std::move(key);
  }
  for (int i = 0; i < n; ++i) {
    uint32_t id = batch.series_ids(i);
    bool known = (id < ids_.size() && ids_[id] != 0) || pending.contains(id);
    if (!known) {
      return absl::InvalidArgumentError(absl::StrCat(where, "sample ", i, " uses series id ", id,
                                                     ", never defined on this stream"));
    }
  }
  out->samples.clear();
  out->new_probes.clear();
  for (auto& [id, key] : pending) {
    if (id >= ids_.size()) {
      ids_.resize(id + 1, 0);
      fingerprints_.resize(id + 1);
    }
    ids_[id] = storage_->Intern(key);
    auto probe = key.labels.find("probe");
    if (key.metric == "probe_up" && probe != key.labels.end()) {
      std::string derived = absl::StrCat(probe->second, "_downtime");
      if (IsValidMetricName(derived)) {
        out->new_probes.push_back({ids_[id], storage_->Intern({derived, {{"host", host_id_}}})});
      }
    }
    fingerprints_[id] = Fingerprint(key);
  }
  out->samples.reserve(n);
  for (int i = 0; i < n; ++i) {
    out->samples.push_back({ids_[batch.series_ids(i)], batch.timestamps_ms(i), batch.values(i)});
  }
  return absl::OkStatus();
}

}  // namespace rollguard::collector
