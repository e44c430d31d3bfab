// Checks an agent's hello before the registry, storage or the command manager
// hear of it: the host id and labels become part of every series key and
// every record of the host, so they are bounded and free of control characters.
#pragma once

#include "absl/status/status.h"
#include "collector/ingest/ingest_limits.h"
#include "rollguard/v1/agent_service.pb.h"

namespace rollguard::collector {

inline constexpr size_t kMaxHostIdLength = 253;  // a DNS name's limit
inline constexpr size_t kMaxAnnouncedPlaybooks = 1000;

// The message names the field and the fault, prefixed "hello: ".
absl::Status CheckHello(const rollguard::v1::Hello& hello, const IngestLimits& limits);

}  // namespace rollguard::collector
