#include "agent/probes/http_probe.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/probes/probe_checks.h"
#include "common/clock.h"
#include "common/mutex.h"

namespace rollguard::agent {
namespace {

constexpr size_t kMaxBody = 1 << 20;  // read at most 1 MB of a response

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  size_t len = size * n;
  if (body->size() < kMaxBody) body->append(data, std::min(len, kMaxBody - body->size()));
  return len;
}

}  // namespace

void ApplyProbeKindDefaults(ProbeConfig* p) {
  if (p->kind == ProbeKind::kMcp) {
    if (p->method.empty() || p->method == "GET") p->method = "POST";
    if (p->body.empty()) p->body = std::string(kMcpToolsListRequest);
    p->headers.try_emplace("Content-Type", "application/json");
    // Streamable-HTTP MCP servers require both.
    p->headers.try_emplace("Accept", "application/json, text/event-stream");
  }
}

ProbeResult RunProbe(const ProbeConfig& probe) {
  ProbeResult r;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    r.error = "curl_easy_init failed";
    return r;
  }
  std::string body;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : probe.headers) {
    headers = curl_slist_append(headers, absl::StrCat(k, ": ", v).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, probe.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, probe.method.c_str());
  if (!probe.body.empty() || probe.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, probe.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(probe.body.size()));
  }
  if (probe.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(probe.timeout)));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(probe.timeout)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, probe.tls_verify ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, probe.tls_verify ? 2L : 0L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "rollguard-agent/" ROLLGUARD_VERSION);

  CURLcode rc = curl_easy_perform(curl);
  curl_off_t total_us = 0;
  curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &total_us);
  r.response_time_ms = static_cast<double>(total_us) / 1000.0;
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  r.status_code = static_cast<int>(status);
  char* ctype = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ctype);
  std::string content_type = ctype != nullptr ? ctype : "";
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);

  if (rc != CURLE_OK) {
    r.error = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    return r;
  }
  if (r.status_code != probe.expect_status) {
    r.error = absl::StrCat("HTTP ", r.status_code, " (expected ", probe.expect_status, ")");
    return r;
  }
  absl::Status check = absl::OkStatus();
  switch (probe.kind) {
    case ProbeKind::kMcp:
      check = CheckMcpResponse(content_type, body);
      break;
    case ProbeKind::kDiscord:
      check = CheckDiscordGateway(body);
      break;
    case ProbeKind::kHttp:
      if (!probe.expect_body_contains.empty() &&
          !absl::StrContains(body, probe.expect_body_contains)) {
        check = absl::InvalidArgumentError(
            absl::StrCat("body does not contain '", probe.expect_body_contains, "'"));
      }
      break;
  }
  if (!check.ok()) {
    r.error = std::string(check.message());
    return r;
  }
  r.up = true;
  return r;
}

Prober::Prober(std::vector<ProbeConfig> probes, Emit emit)
    : probes_(std::move(probes)), emit_(std::move(emit)) {}

Prober::~Prober() { Stop(); }

void Prober::Start() {
  threads_.Start(probes_.size(), [this](size_t i) { Loop(probes_[i]); });
}

void Prober::Stop() { threads_.Stop(); }

void Prober::Loop(const ProbeConfig& probe) {
  bool was_up = true;
  bool first = true;
  while (true) {
    absl::Time started = absl::Now();
    ProbeResult r = RunProbe(probe);
    // Log changes, not every failure: a dead upstream must not flood the log.
    if (r.up != was_up || first) {
      if (r.up) {
        spdlog::info("probe {}: up ({} ms)", probe.name, static_cast<int>(r.response_time_ms));
      } else {
        spdlog::warn("probe {}: DOWN: {}", probe.name, r.error);
      }
    }
    was_up = r.up;
    first = false;
    Labels l{{"probe", probe.name}};
    emit_({{"probe_up", l, r.up ? 1.0 : 0.0},
           {"probe_response_time_ms", l, r.response_time_ms},
           {"probe_status_code", l, static_cast<double>(r.status_code)}},
          absl::ToUnixMillis(started));
    if (!threads_.SleepUntil(started + probe.interval)) return;
  }
}

}  // namespace rollguard::agent
