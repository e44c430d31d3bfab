// One HTTP POST with libcurl, blocking with a timeout: webhooks and
// Alertmanager (notify) and Prometheus remote write share it. Errors name the
// URL redacted (common/redact.h) and never quote a secret.
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace rollguard {

struct HttpPostRequest {
  std::string url;
  std::string body;
  std::string content_type = "application/json";
  std::map<std::string, std::string> headers;
  absl::Duration timeout = absl::Seconds(10);
  // The CA bundle to trust for https (empty: the system's).
  std::string ca_file;
  // A client certificate and its key for https (etcd with client auth).
  std::string cert_file;
  std::string key_file;
  std::string user_agent;
  // When set and it turns true, the request is abandoned (a stopping daemon
  // does not wait out a hanging receiver's timeout).
  const std::atomic<bool>* cancel = nullptr;
  // How much of the answer to keep in body_head: error messages need its
  // start; a JSON API client (etcd) needs all of it.
  size_t keep_body_bytes = 300;
};

struct HttpPostResponse {
  long status = 0;
  std::string body_head;   // the answer's first keep_body_bytes bytes
  bool truncated = false;  // the answer was longer than that
};

// Any HTTP answer is a response (the caller judges its status); a transport
// failure (refused, timeout, TLS) is UNAVAILABLE naming the redacted URL.
// `secrets` (header values, the URL itself, passwords) are scrubbed from the
// error and from body_head.
[[nodiscard]] absl::StatusOr<HttpPostResponse> HttpPost(const HttpPostRequest& request,
                                                        const std::vector<std::string>& secrets);

}  // namespace rollguard
