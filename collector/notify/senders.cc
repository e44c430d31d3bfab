#include "collector/notify/senders.h"

#include <curl/curl.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace rollguard::collector {
namespace {

size_t KeepHead(char* data, size_t size, size_t n, void* body) {
  auto* s = static_cast<std::string*>(body);
  size_t len = size * n;
  if (s->size() < 300) s->append(data, std::min(len, 300 - s->size()));
  return len;
}

struct Upload {
  const std::string* data;
  size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  size_t len = std::min(size * n, u->data->size() - u->offset);
  std::memcpy(buffer, u->data->data() + u->offset, len);
  u->offset += len;
  return len;
}

}  // namespace

absl::Status PostJson(const std::string& url, const std::string& body,
                      const std::map<std::string, std::string>& headers, absl::Duration timeout) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  for (const auto& [k, v] : headers)
    list = curl_slist_append(list, absl::StrCat(k, ": ", v).c_str());
  std::string response;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, KeepHead);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "rollguard-collector/" ROLLGUARD_VERSION);
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat(url, ": ", errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc)));
  }
  if (status < 200 || status >= 300) {
    return absl::UnavailableError(absl::StrCat(url, ": HTTP ", status, " ", response));
  }
  return absl::OkStatus();
}

absl::Status SendMail(const std::string& smtp_url, const std::string& from,
                      const std::vector<std::string>& to, const std::string& message,
                      const std::string& username, const std::string& password,
                      absl::Duration timeout) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  curl_slist* rcpt = nullptr;
  for (const auto& t : to) rcpt = curl_slist_append(rcpt, absl::StrCat("<", t, ">").c_str());
  std::string mail_from = absl::StrCat("<", from, ">");
  Upload upload{&message};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, smtp_url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  // STARTTLS when the server offers it; smtps:// URLs are TLS from the start.
  curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
  if (!username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, password.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat(smtp_url, ": ", errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc)));
  }
  return absl::OkStatus();
}

}  // namespace rollguard::collector
