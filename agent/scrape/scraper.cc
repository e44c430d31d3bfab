#include "agent/scrape/scraper.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/redact.h"

namespace rollguard::agent {
namespace {

struct Body {
  std::string text;
  size_t max = 0;
  bool too_big = false;
};

size_t Append(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<Body*>(user);
  const size_t len = size * n;
  if (body->text.size() + len > body->max) {
    body->too_big = true;
    return 0;  // ends the transfer
  }
  body->text.append(data, len);
  return len;
}

}  // namespace

absl::StatusOr<std::string> FetchPage(const ScrapeConfig& config) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  Body body;
  body.max = config.max_body_bytes;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = curl_slist_append(nullptr, "Accept: text/plain;version=0.0.4");
  curl_easy_setopt(curl, CURLOPT_URL, config.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(config.timeout)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip if the target offers it
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "rollguard-agent/" ROLLGUARD_VERSION);
  if (!config.tls_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (body.too_big) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the page is over ", config.max_body_bytes, " bytes (max_body_bytes)"));
  }
  if (rc != CURLE_OK) {
    return absl::UnavailableError(
        ScrubSecrets(errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc), {config.url}));
  }
  if (status != 200) return absl::UnavailableError(absl::StrCat("HTTP ", status));
  return std::move(body.text);
}

Scraper::Scraper(std::vector<ScrapeConfig> targets, Emit emit)
    : targets_(std::move(targets)), emit_(std::move(emit)) {}

Scraper::~Scraper() { Stop(); }

void Scraper::Start() {
  threads_.Start(targets_.size(), [this](size_t i) { Loop(targets_[i]); });
}

void Scraper::Stop() { threads_.Stop(); }

void Scraper::Loop(const ScrapeConfig& target) {
  std::set<std::string> admitted;  // this target's series budget
  bool warned_budget = false;
  std::string last_error;
  const Labels own = {{"scrape", target.name}};
  while (true) {
    const absl::Time start = absl::Now();
    absl::StatusOr<std::string> page = FetchPage(target);
    const double ms = absl::ToDoubleMilliseconds(absl::Now() - start);
    ScrapeOutcome outcome;
    if (page.ok()) outcome = ReadingsFromPage(target, *page, &admitted);
    const std::string error = page.ok() ? outcome.error : std::string(page.status().message());
    if (error != last_error && !error.empty()) {
      spdlog::warn("scrape {} ({}): {}", target.name, RedactUrl(target.url), error);
    }
    last_error = error;
    if (outcome.series_dropped > 0 && !warned_budget) {
      spdlog::warn(
          "scrape {}: more than max_series {} series; new ones are dropped "
          "(scrape_series_dropped)",
          target.name, target.max_series);
      warned_budget = true;
    }
    Readings& r = outcome.readings;
    r.push_back({"scrape_up", own, page.ok() ? 1.0 : 0.0});
    r.push_back({"scrape_duration_ms", own, ms});
    r.push_back({"scrape_samples", own, static_cast<double>(outcome.samples)});
    r.push_back({"scrape_series_dropped", own, static_cast<double>(outcome.series_dropped)});
    r.push_back({"scrape_lines_invalid", own, static_cast<double>(outcome.invalid)});
    // In groups, so one page never becomes one message too big to deliver.
    const int64_t at = absl::ToUnixMillis(start);
    for (size_t i = 0; i < r.size(); i += kScrapeBatchReadings) {
      const size_t end = std::min(r.size(), i + kScrapeBatchReadings);
      emit_(Readings(std::make_move_iterator(r.begin() + static_cast<ptrdiff_t>(i)),
                     std::make_move_iterator(r.begin() + static_cast<ptrdiff_t>(end))),
            at);
    }
    if (!threads_.SleepUntil(start + target.interval)) return;
  }
}

}  // namespace rollguard::agent
