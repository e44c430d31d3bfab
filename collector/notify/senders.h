// Delivery over the network with libcurl: JSON POSTs for webhooks and
// Alertmanager, SMTP for email. Blocking with a timeout; called from a
// receiver's own thread only.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace rollguard::collector {

// OK on a 2xx answer; the error names the status or the transport failure.
[[nodiscard]] absl::Status PostJson(const std::string& url, const std::string& body,
                                    const std::map<std::string, std::string>& headers,
                                    absl::Duration timeout);

// Sends `message` (headers and body) through the SMTP server at `smtp_url`.
[[nodiscard]] absl::Status SendMail(const std::string& smtp_url, const std::string& from,
                                    const std::vector<std::string>& to, const std::string& message,
                                    const std::string& username, const std::string& password,
                                    absl::Duration timeout);

}  // namespace rollguard::collector
