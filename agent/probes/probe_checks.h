// What counts as "up" for the ready-made probe kinds. Pure functions over the
// HTTP response, so tests need no server. JSON is read with protobuf's own
// JSON parser (into google.protobuf.Value), not a second JSON library.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rollguard::agent {

// The JSON-RPC 2.0 request the runbook's check_mcp_status sends.
inline constexpr absl::string_view kMcpToolsListRequest =
    R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})";

// MCP is up only if the answer is a JSON-RPC result carrying a tools list; an
// HTTP 200 with a JSON-RPC error is down. Streamable-HTTP servers may answer
// as server-sent events (text/event-stream): the JSON is in the data: lines.
[[nodiscard]] absl::Status CheckMcpResponse(absl::string_view content_type, absl::string_view body);

// Discord's GET /api/v10/gateway answers {"url": "wss://..."}.
[[nodiscard]] absl::Status CheckDiscordGateway(absl::string_view body);

}  // namespace rollguard::agent
