// One remote-write target: a thread that reads the collector's sample log
// from its own persisted cursor (Storage::OpenLogReader) and sends it on with
// Prometheus' remote-write protocol. Ingest never waits for it: the log keeps
// what the receiver has not taken yet, so a restart of either side, or an
// outage of the receiver, loses nothing -- up to max_lag, past which the
// oldest samples are dropped and counted while the receiver still fails (the
// log on disk stays bounded by ingest over max_lag).
//
// Delivery is at least once: the cursor moves after the receiver answers, so
// a crash in between resends one request (receivers take a resent sample).
// A 400 or 422 answer refuses the samples themselves: they are dropped,
// counted and logged; anything else (transport errors, 401/403/404/413/429,
// 5xx) is retried with backoff. Samples older than max_lag are dropped only
// while the receiver fails.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "collector/remote_write/remote_write_config.h"
#include "collector/storage/storage.h"
#include "common/clock.h"
#include "common/mutex.h"

namespace rollguard::collector {

class WriteRequestBuilder;
struct BuiltRequest;

// Counters since start; gauges as of now.
struct RemoteWriteStats {
  std::string name;
  std::string url;  // redacted
  uint64_t samples_sent = 0;
  uint64_t requests_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t requests_failed = 0;  // each failed attempt, retried or not
  // Samples given up on, by why.
  uint64_t samples_rejected = 0;   // the receiver answered 400 or 422
  uint64_t samples_too_old = 0;    // older than max_lag while the receiver failed
  uint64_t samples_not_newer = 0;  // a duplicate of one already sent (a resend)
  uint64_t samples_unknown_series = 0;
  uint64_t records_damaged = 0;
  // Log records not yet sent, and how far behind the newest sent sample is
  // (0 when caught up).
  uint64_t pending_records = 0;
  double lag_seconds = 0;
  int64_t newest_sent_ms = 0;
  std::string last_error;  // of the latest failed attempt; cleared by a success
};

class RemoteWriter {
 public:
  // Borrows storage and clock; both outlive the writer.
  RemoteWriter(RemoteWriteConfig config, Storage* storage, const Clock* clock);
  ~RemoteWriter();  // Stop()

  // Opens the cursor and starts the thread.
  [[nodiscard]] absl::Status Start();
  // Ends the thread, abandoning a request in flight (it is resent on start).
  void Stop();

  RemoteWriteStats Stats() const;
  const std::string& name() const { return config_.name; }

 private:
  void Loop();
  // Sends one read of the log; false when stopping.
  bool SendRecords(WriteRequestBuilder& builder, const std::vector<LogRecord>& records);
  // The latest attempt failed (and nothing has succeeded since).
  bool Failing() const;
  // Counts an attempt's outcome; true if it should be retried.
  bool NoteAttempt(const absl::Status& st, bool retry, const BuiltRequest& built);
  // One POST: OK, or the error and whether a retry may help.
  absl::Status Post(const std::string& body, bool* retry);
  // Sleeps up to `d`; false if Stop was called.
  bool Sleep(absl::Duration d);

  const RemoteWriteConfig config_;
  Storage* const storage_;
  const Clock* const clock_;
  uint64_t cursor_ = 0;  // the writing thread's
  int64_t started_ms_ = 0;

  mutable Mutex mu_;
  std::condition_variable wake_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  RemoteWriteStats stats_ ABSL_GUARDED_BY(mu_);
  int64_t last_drop_log_ms_ ABSL_GUARDED_BY(mu_) = INT64_MIN / 2;
  std::atomic<uint64_t> cursor_seen_{0};
  std::atomic<bool> cancel_{
      false};  // Stop: abandons a request in flight  // for Stats(), read from other threads
  std::thread thread_;
};

}  // namespace rollguard::collector
