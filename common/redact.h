// Keeping secrets out of logs, errors, the API and the CLI. Webhook URLs
// carry their credential in the path (Discord's /api/webhooks/ID/TOKEN,
// Slack's /services/T/B/SECRET), sometimes in the query or userinfo; only
// the scheme, host and the first path segments survive:
//   https://discord.com/api/webhooks/123/abc  ->  https://discord.com/api/webhooks/…/***
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace rollguard {

std::string RedactUrl(absl::string_view url);

// `text` with every occurrence of each non-empty secret replaced by "***"
// (for library error messages that may quote a URL or a password).
std::string ScrubSecrets(absl::string_view text, const std::vector<std::string>& secrets);

}  // namespace rollguard
