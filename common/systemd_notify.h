// Tells systemd how a Type=notify service is doing (READY=1 when it serves,
// RELOADING=1 around a SIGHUP reload, STOPPING=1 on the way out), so
// `systemctl start` returns only once the daemon answers.
//
// The protocol is one datagram on the unix socket named by $NOTIFY_SOCKET,
// a documented stable interface (sd_notify(3), "you may reimplement"). It is
// written here rather than linked from libsystemd because the agent runs on
// every bot host and libsystemd would map eight more libraries into it.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rollguard {

// Sends `state` (newline-separated assignments, e.g. "READY=1\nSTATUS=...")
// to the service manager. OK and nothing sent when $NOTIFY_SOCKET is unset
// (not run by systemd, or not Type=notify); an error names the socket.
absl::Status NotifySystemd(absl::string_view state);

}  // namespace rollguard
