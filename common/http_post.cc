#include "common/http_post.h"

#include <curl/curl.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/redact.h"

namespace rollguard {
namespace {

struct Head {
  std::string* body;
  size_t keep;
  bool* truncated;
};

size_t KeepHead(char* data, size_t size, size_t n, void* head) {
  auto* h = static_cast<Head*>(head);
  size_t len = size * n;
  size_t room = h->keep - std::min(h->keep, h->body->size());
  if (len > room) *h->truncated = true;
  h->body->append(data, std::min(len, room));
  return len;
}

int AbortWhenCancelled(void* cancel, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(cancel)->load() ? 1 : 0;
}

}  // namespace

absl::StatusOr<HttpPostResponse> HttpPost(const HttpPostRequest& request,
                                          const std::vector<std::string>& secrets) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  curl_slist* list =
      curl_slist_append(nullptr, absl::StrCat("Content-Type: ", request.content_type).c_str());
  for (const auto& [k, v] : request.headers) {
    list = curl_slist_append(list, absl::StrCat(k, ": ", v).c_str());
  }
  HttpPostResponse response;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(request.timeout)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, KeepHead);
  Head head{&response.body_head, request.keep_body_bytes, &response.truncated};
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &head);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  if (!request.user_agent.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERAGENT, request.user_agent.c_str());
  }
  if (!request.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, request.ca_file.c_str());
  if (!request.cert_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, request.cert_file.c_str());
  }
  if (!request.key_file.empty()) curl_easy_setopt(curl, CURLOPT_SSLKEY, request.key_file.c_str());
  if (request.cancel != nullptr) {
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, AbortWhenCancelled);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(request.cancel));
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  }
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  std::vector<std::string> scrub = secrets;
  scrub.push_back(request.url);
  if (rc != CURLE_OK) {
    return absl::UnavailableError(
        ScrubSecrets(absl::StrCat(RedactUrl(request.url), ": ",
                                  errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc)),
                     scrub));
  }
  response.body_head = ScrubSecrets(response.body_head, scrub);
  return response;
}

}  // namespace rollguard
