#include "collector/remote_write/remote_writer.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "collector/remote_write/write_request.h"
#include "common/backoff.h"
#include "common/http_post.h"
#include "common/redact.h"

namespace rollguard::collector {
namespace {

// How often a caught-up writer looks for new records.
constexpr absl::Duration kPollInterval = absl::Milliseconds(250);

}  // namespace

RemoteWriter::RemoteWriter(RemoteWriteConfig config, Storage* storage, const Clock* clock)
    : config_(std::move(config)), storage_(storage), clock_(clock) {
  stats_.name = config_.name;
  stats_.url = RedactUrl(config_.url);
}

RemoteWriter::~RemoteWriter() { Stop(); }

absl::Status RemoteWriter::Start() {
  absl::StatusOr<uint64_t> cursor = storage_->OpenLogReader(config_.name);
  if (!cursor.ok()) {
    return absl::Status(cursor.status().code(), absl::StrCat("remote_write '", config_.name,
                                                             "': ", cursor.status().message()));
  }
  cursor_ = *cursor;
  cursor_seen_ = cursor_;
  started_ms_ = clock_->NowMs();
  spdlog::info("remote write {}: sending to {} from log record {}", config_.name,
               RedactUrl(config_.url), cursor_);
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void RemoteWriter::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  cancel_ = true;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool RemoteWriter::Sleep(absl::Duration d) {
  MutexLock lock(&mu_);
  wake_.wait_for(lock.native(), absl::ToChronoMilliseconds(d), [&] {
    mu_.AssertHeld();
    return stopping_;
  });
  return !stopping_;
}

void RemoteWriter::Loop() {
  WriteRequestBuilder builder(storage_);
  while (true) {
    {
      MutexLock lock(&mu_);
      if (stopping_) return;
    }
    uint64_t damaged = 0;
    absl::StatusOr<std::vector<LogRecord>> records =
        storage_->ReadLog(cursor_, config_.max_samples_per_send, &damaged);
    if (!records.ok()) {
      spdlog::error("remote write {}: {}", config_.name, records.status().ToString());
      {
        MutexLock lock(&mu_);
        stats_.last_error = std::string(records.status().message());
      }
      if (!Sleep(absl::Seconds(1))) return;
      continue;
    }
    if (damaged > 0) {
      MutexLock lock(&mu_);
      stats_.records_damaged += damaged;
    }
    if (records->empty()) {
      if (!Sleep(kPollInterval)) return;
      continue;
    }
    // A read that filled a request is likely followed by more: no pause.
    if (!SendRecords(builder, *records)) return;
  }
}

bool RemoteWriter::SendRecords(WriteRequestBuilder& builder,
                               const std::vector<LogRecord>& records) {
  BuiltRequest built = builder.Build(records);
  {
    MutexLock lock(&mu_);
    stats_.samples_not_newer += built.not_newer;
    stats_.samples_unknown_series += built.unknown_series;
  }
  Backoff backoff(config_.min_backoff, config_.max_backoff);
  while (built.samples > 0) {
    // Past max_lag and the receiver failing: dropped, so an outage cannot
    // keep the log growing. A healthy receiver gets old samples too (agents
    // that buffered through an outage send late).
    const int64_t age_ms = clock_->NowMs() - built.newest_ms;
    if (age_ms > absl::ToInt64Milliseconds(config_.max_lag) && Failing()) {
      MutexLock lock(&mu_);
      // Once a minute at most: a long outage drains many requests this way.
      if (clock_->NowMs() - last_drop_log_ms_ >= 60'000) {
        spdlog::warn(
            "remote write {}: dropping samples older than max_lag {} while the receiver fails; "
            "{} so far, counted in rollguard_remote_write_samples_dropped_total",
            config_.name, absl::FormatDuration(config_.max_lag),
            stats_.samples_too_old + built.samples);
        last_drop_log_ms_ = clock_->NowMs();
      }
      stats_.samples_too_old += built.samples;
      break;
    }
    bool retry = false;
    absl::Status st = Post(built.body, &retry);
    if (cancel_) return false;  // stopping: resent on the next start
    if (!NoteAttempt(st, retry, built)) break;
    // Stopping mid-retry leaves the cursor here: the next start resends.
    if (!Sleep(backoff.Next())) return false;
  }
  builder.Commit();
  const uint64_t next = records.back().seq + 1;
  if (absl::Status s = storage_->AdvanceLogReader(config_.name, next); !s.ok()) {
    spdlog::error("remote write {}: {}", config_.name, s.ToString());
  }
  cursor_ = next;
  cursor_seen_ = next;
  return true;
}

bool RemoteWriter::Failing() const {
  MutexLock lock(&mu_);
  return !stats_.last_error.empty();
}

bool RemoteWriter::NoteAttempt(const absl::Status& st, bool retry, const BuiltRequest& built) {
  MutexLock lock(&mu_);
  if (st.ok()) {
    if (!stats_.last_error.empty()) {
      spdlog::info("remote write {}: sending works again", config_.name);
    }
    stats_.last_error.clear();
    stats_.samples_sent += built.samples;
    stats_.requests_sent += 1;
    stats_.bytes_sent += built.body.size();
    stats_.newest_sent_ms = std::max(stats_.newest_sent_ms, built.newest_ms);
    return false;
  }
  ++stats_.requests_failed;
  if (!retry) {
    spdlog::error("remote write {}: the receiver refused {} samples, which are dropped: {}",
                  config_.name, built.samples, std::string(st.message()));
    stats_.samples_rejected += built.samples;
    stats_.last_error = std::string(st.message());
    return false;
  }
  if (stats_.last_error.empty()) {
    spdlog::warn("remote write {}: {}; retrying (the log keeps what is not sent)", config_.name,
                 std::string(st.message()));
  }
  stats_.last_error = std::string(st.message());
  return true;
}

absl::Status RemoteWriter::Post(const std::string& body, bool* retry) {
  HttpPostRequest request;
  request.url = config_.url;
  request.body = body;
  request.content_type = "application/x-protobuf";
  request.headers = config_.headers;
  request.headers["Content-Encoding"] = "snappy";
  request.headers["X-Prometheus-Remote-Write-Version"] = "0.1.0";
  std::vector<std::string> secrets;
  for (const auto& [k, v] : config_.headers) secrets.push_back(v);
  if (!config_.bearer_token.empty()) {
    request.headers["Authorization"] = absl::StrCat("Bearer ", config_.bearer_token);
    secrets.push_back(config_.bearer_token);
  } else if (!config_.username.empty()) {
    request.headers["Authorization"] = absl::StrCat(
        "Basic ", absl::Base64Escape(absl::StrCat(config_.username, ":", config_.password)));
    secrets.push_back(config_.password);
    secrets.push_back(request.headers["Authorization"]);
  }
  request.timeout = config_.timeout;
  request.ca_file = config_.ca_file;
  request.user_agent = "rollguard-collector/" ROLLGUARD_VERSION;
  request.cancel = &cancel_;
  absl::StatusOr<HttpPostResponse> response = HttpPost(request, secrets);
  if (!response.ok()) {
    *retry = true;
    return response.status();
  }
  if (response->status >= 200 && response->status < 300) return absl::OkStatus();
  // 400 and 422 say the samples themselves are refused (out of order, bad
  // labels): resending cannot help. Anything else -- 401/403 after a
  // password rotation, 404 while a receiver is redeployed, 413, 429, 5xx --
  // is retried, and max_lag bounds what waits meanwhile.
  *retry = response->status != 400 && response->status != 422;
  return absl::UnavailableError(
      absl::StrCat(RedactUrl(config_.url), ": HTTP ", response->status, " ", response->body_head));
}

RemoteWriteStats RemoteWriter::Stats() const {
  RemoteWriteStats st;
  {
    MutexLock lock(&mu_);
    st = stats_;
  }
  const uint64_t end = storage_->LogEnd();
  const uint64_t cursor = cursor_seen_.load();
  st.pending_records = end > cursor ? end - cursor : 0;
  if (st.pending_records > 0) {
    // Nothing sent yet: behind since the writer started.
    const int64_t since = st.newest_sent_ms > 0 ? st.newest_sent_ms : started_ms_;
    st.lag_seconds = std::max<double>(0, (clock_->NowMs() - since) / 1000.0);
  }
  return st;
}

}  // namespace rollguard::collector
