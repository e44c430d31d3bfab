// The bodies each receiver type expects, built from one notification. Pure
// functions (tested without a network); JSON via protobuf's Struct mapping.
#pragma once

#include <string>
#include <vector>

#include "collector/notify/notification.h"

namespace rollguard::collector {

// Generic webhook: {"kind": ..., "reason": ..., "alert": {the Alert message}, "hostLabels": {...}}.
std::string WebhookPayload(const Notification& n);
// Discord incoming webhook: one embed, coloured by state and severity.
std::string DiscordPayload(const Notification& n);
// Slack incoming webhook: text plus one attachment with fields.
std::string SlackPayload(const Notification& n);
// Alertmanager API v2 (POST /api/v2/alerts): a one-element list. A firing
// alert gets endsAt = now + 15 min (renewed by each repeat); a resolved one
// ends at its resolve time.
std::string AlertmanagerPayload(const Notification& n, int64_t now_ms);
// An RFC 5322 message (headers and text body) for SMTP.
std::string EmailMessage(const Notification& n, const std::string& from,
                         const std::vector<std::string>& to, int64_t now_ms);
// One line for the log receiver and email subjects:
// "[FIRING] critical cpu_usage_critical on bot-1: cpu_usage is 93 (> 90) on bot-1".
std::string OneLine(const Notification& n);

}  // namespace rollguard::collector
