#include "collector/notify/senders.h"

#include <curl/curl.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/http_post.h"
#include "common/redact.h"
#include "common/status_macros.h"

namespace rollguard::collector {
namespace {

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
  HttpPostRequest request;
  request.url = url;
  request.body = body;
  request.headers = headers;
  request.timeout = timeout;
  request.user_agent = "rollguard-collector/" ROLLGUARD_VERSION;
  // The URL is the credential for Discord and Slack: errors name it redacted,
  // and anything the library or the server echoes of it is scrubbed.
  std::vector<std::string> secrets;
  for (const auto& [k, v] : headers) secrets.push_back(v);
  ASSIGN_OR_RETURN(HttpPostResponse response, HttpPost(request, secrets));
  if (response.status < 200 || response.status >= 300) {
    return absl::UnavailableError(
        absl::StrCat(RedactUrl(url), ": HTTP ", response.status, " ", response.body_head));
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
  // smtps:// is TLS from the start. With credentials, STARTTLS is mandatory:
  // a server (or a man in the middle) that strips it gets no password.
  // Without, STARTTLS when offered.
  curl_easy_setopt(curl, CURLOPT_USE_SSL,
                   static_cast<long>(username.empty() ? CURLUSESSL_TRY : CURLUSESSL_ALL));
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
    std::string why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    if (rc == CURLE_USE_SSL_FAILED) {
      why = "the server offers no STARTTLS; refusing to send the password in plaintext";
    }
    return absl::UnavailableError(
        ScrubSecrets(absl::StrCat(RedactUrl(smtp_url), ": ", why), {smtp_url, password}));
  }
  return absl::OkStatus();
}

}  // namespace rollguard::collector
