// The `tls:` section shared by the agent's and the collector's YAML files:
//   tls: {ca: F, cert: F, key: F, reload_interval: 10s}
// (the collector calls its CA `client_ca`). Paths resolve against the file's
// folder.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/config_node.h"
#include "common/tls/grpc_tls.h"

namespace rollguard {

[[nodiscard]] absl::Status LoadTlsSection(const ConfigNode& section, absl::string_view ca_key,
                                          TlsFiles* out);

// True for 127.0.0.0/8, ::1 and "localhost" (the host part of HOST:PORT).
bool IsLoopbackAddress(absl::string_view host_port);

}  // namespace rollguard
