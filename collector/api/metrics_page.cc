#include "collector/api/metrics_page.h"

#include <utility>

#include "collector/alerting/alerting.h"
#include "collector/automation/remediator.h"
#include "collector/commands/command_manager.h"
#include "collector/commands/rollout_manager.h"
#include "collector/ha/leader_election.h"
#include "collector/ingest/agent_service.h"
#include "collector/registry/host_registry.h"
#include "collector/remote_write/remote_writers.h"
#include "collector/storage/storage.h"
#include "common/prometheus_text.h"

namespace rollguard::collector {

void CommandOutcomes::Count(const rollguard::v1::CommandRecord& record) {
  MutexLock lock(&mu_);
  ++by_state_[rollguard::v1::CommandState_Name(record.state())];
}

std::map<std::string, uint64_t> CommandOutcomes::Snapshot() const {
  MutexLock lock(&mu_);
  return by_state_;
}

namespace {

double D(uint64_t v) { return static_cast<double>(v); }

void Ingest(const IngestStats& in, PrometheusText* p) {
  p->Family("rollguard_agent_streams", "gauge", "Agent streams open now.");
  p->Sample(D(in.streams_open.load()));
  p->Family("rollguard_samples_ingested_total", "counter", "Samples stored from agents.");
  p->Sample(D(in.samples_stored.load()));
  p->Family("rollguard_batches_ingested_total", "counter", "Sample batches stored from agents.");
  p->Sample(D(in.batches_stored.load()));
  p->Family("rollguard_samples_refused_total", "counter",
            "Samples refused (outside the time window, over a series limit).");
  p->Sample(D(in.samples_refused.load()));
  p->Family("rollguard_batches_refused_total", "counter", "Sample batches refused as malformed.");
  p->Sample(D(in.batches_rejected.load()));
  p->Family("rollguard_streams_refused_total", "counter",
            "Agent streams refused, by why (ingest limits).");
  p->Sample(D(in.streams_refused.load()), {{"reason", "over_limit"}});
  p->Sample(D(in.streams_cut_off.load()), {{"reason", "write_queue_full"}});
  p->Sample(D(in.streams_without_hello.load()), {{"reason", "no_hello"}});
}

void StorageFamilies(const StorageStats& st, PrometheusText* p) {
  p->Family("rollguard_series", "gauge", "Series known to the storage engine.");
  p->Sample(D(st.series));
  p->Family("rollguard_head_points", "gauge", "Points in the in-memory heads, not yet sealed.");
  p->Sample(D(st.head_points));
  p->Family("rollguard_head_points_limit", "gauge",
            "Head points at which ingest waits for the sealer.");
  p->Sample(D(st.head_points_limit));
  p->Family("rollguard_head_memory_bytes", "gauge", "Memory the heads' compressed points hold.");
  p->Sample(D(st.head_bytes));
  p->Family("rollguard_chunks_written_total", "counter", "Chunks sealed to disk.");
  p->Sample(D(st.chunks_written));
  p->Family("rollguard_chunks_merged_total", "counter", "Chunks merged into larger ones.");
  p->Sample(D(st.chunks_merged));
  p->Family("rollguard_points_sealed_total", "counter", "Points sealed from heads into chunks.");
  p->Sample(D(st.points_sealed));
  p->Family("rollguard_storage_bytes", "gauge", "Bytes on disk (and in memtables), by kind.");
  p->Sample(D(st.chunk_bytes), {{"kind", "chunks"}});
  p->Sample(D(st.log_bytes), {{"kind", "sample_log"}});
  p->Sample(D(st.other_bytes), {{"kind", "records"}});
  p->Sample(D(st.memtable_bytes), {{"kind", "memtables"}});
  p->Family("rollguard_storage_write_failures_total", "counter", "Storage writes that failed.");
  p->Sample(D(st.failed_writes));
  p->Family("rollguard_storage_quarantined_records", "gauge",
            "Damaged records set aside at start-up.");
  p->Sample(D(st.quarantined_records));
}

void Notifications(const Alerting& alerting, PrometheusText* p) {
  const auto receivers = alerting.Receivers();
  p->Family("rollguard_notifications_sent_total", "counter",
            "Notifications delivered, by receiver.");
  for (const auto& r : receivers)
    p->Sample(D(r.sent()), {{"receiver", r.name()}, {"type", r.type()}});
  p->Family("rollguard_notifications_failed_total", "counter",
            "Notifications given up on after every retry, by receiver.");
  for (const auto& r : receivers) {
    p->Sample(D(r.failed()), {{"receiver", r.name()}, {"type", r.type()}});
  }
  p->Family("rollguard_notifications_dropped_total", "counter",
            "Notifications dropped from a full receiver queue, by receiver.");
  for (const auto& r : receivers) {
    p->Sample(D(r.dropped()), {{"receiver", r.name()}, {"type", r.type()}});
  }
}

void Alerts(const Alerting& alerting, PrometheusText* p) {
  std::map<std::pair<std::string, std::string>, int> by;
  for (const auto& a : alerting.ActiveAlerts("")) ++by[{a.state(), a.severity()}];
  p->Family("rollguard_alerts", "gauge", "Alerts pending or firing now, by state and severity.");
  for (const auto& [key, n] : by) p->Sample(n, {{"state", key.first}, {"severity", key.second}});
}

// Per target, as Prometheus' own prometheus_remote_storage_* do.
void RemoteWrite(const std::vector<RemoteWriteStats>& remotes, PrometheusText* p) {
  if (remotes.empty()) return;
  p->Family("rollguard_remote_write_samples_sent_total", "counter",
            "Samples a remote-write receiver accepted.");
  for (const auto& r : remotes) p->Sample(D(r.samples_sent), {{"remote", r.name}});
  p->Family("rollguard_remote_write_bytes_sent_total", "counter",
            "Request bytes (compressed) a remote-write receiver accepted.");
  for (const auto& r : remotes) p->Sample(D(r.bytes_sent), {{"remote", r.name}});
  p->Family("rollguard_remote_write_requests_failed_total", "counter",
            "Remote-write attempts that failed (each retry counts).");
  for (const auto& r : remotes) p->Sample(D(r.requests_failed), {{"remote", r.name}});
  p->Family("rollguard_remote_write_samples_dropped_total", "counter",
            "Samples not sent, by reason: rejected (400/422), too_old (past max_lag while the "
            "receiver failed), not_newer (a duplicate of the newest sent), unknown_series.");
  for (const auto& r : remotes) {
    p->Sample(D(r.samples_rejected), {{"remote", r.name}, {"reason", "rejected"}});
    p->Sample(D(r.samples_too_old), {{"remote", r.name}, {"reason", "too_old"}});
    p->Sample(D(r.samples_not_newer), {{"remote", r.name}, {"reason", "not_newer"}});
    p->Sample(D(r.samples_unknown_series), {{"remote", r.name}, {"reason", "unknown_series"}});
  }
  p->Family("rollguard_remote_write_pending_batches", "gauge",
            "Sample-log records (agent batches) stored but not yet sent.");
  for (const auto& r : remotes) p->Sample(D(r.pending_records), {{"remote", r.name}});
  p->Family("rollguard_remote_write_lag_seconds", "gauge",
            "How far behind now the newest sent sample is while batches wait (0 when caught up).");
  for (const auto& r : remotes) p->Sample(r.lag_seconds, {{"remote", r.name}});
  p->Family("rollguard_remote_write_newest_sent_timestamp_seconds", "gauge",
            "Timestamp of the newest sample a receiver accepted, Unix seconds.");
  for (const auto& r : remotes) {
    p->Sample(static_cast<double>(r.newest_sent_ms) / 1000.0, {{"remote", r.name}});
  }
}

}  // namespace

std::string RenderMetrics(const MetricsSources& s) {
  PrometheusText p;
  p.Family("rollguard_build_info", "gauge", "The collector's version.");
  p.Sample(1, {{"version", ROLLGUARD_VERSION}});
  p.Family("rollguard_start_time_seconds", "gauge", "When the collector started, Unix seconds.");
  p.Sample(static_cast<double>(s.started_ms) / 1000.0);
  p.Family("rollguard_hosts", "gauge", "Hosts the collector knows, connected or not.");
  const size_t connected = s.registry->ConnectedCount();
  p.Sample(D(connected), {{"state", "connected"}});
  p.Sample(D(s.registry->Count() - connected), {{"state", "offline"}});
  if (s.election != nullptr) {
    // Alert on sum(rollguard_ha_acting) != 1 across the pair.
    p.Family("rollguard_ha_acting", "gauge",
             "1 while this member leads and may act (HA), 0 while it follows.");
    p.Sample(s.election->Acting() ? 1 : 0);
    p.Family("rollguard_ha_epoch", "gauge", "The epoch this member leads at (0 while following).");
    p.Sample(D(static_cast<uint64_t>(s.election->Epoch())));
  }
  Ingest(*s.ingest, &p);
  StorageFamilies(s.storage->Stats(), &p);
  Notifications(*s.alerting, &p);
  Alerts(*s.alerting, &p);
  p.Family("rollguard_commands_open", "gauge", "Commands not yet final, by state.");
  for (const auto& [state, n] : s.commands->OpenByState()) p.Sample(n, {{"state", state}});
  p.Family("rollguard_commands_finished_total", "counter",
           "Commands that reached a final state since start, by state.");
  for (const auto& [state, n] : s.outcomes->Snapshot()) p.Sample(D(n), {{"state", state}});
  p.Family("rollguard_rollouts_running", "gauge", "Fleet rollouts in progress.");
  p.Sample(D(s.rollouts->RunningCount()));
  p.Family("rollguard_incidents_open", "gauge", "Incidents the closed loop has open.");
  p.Sample(D(s.remediator->OpenCount()));
  RemoteWrite(s.remote_write->Stats(), &p);
  return p.text();
}

}  // namespace rollguard::collector
