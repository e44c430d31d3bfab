#include "agent/probes/probe_checks.h"

#include <gtest/gtest.h>

namespace rollguard::agent {
namespace {

TEST(ProbeChecksTest, McpUpOnlyWithAToolsList) {
  EXPECT_TRUE(CheckMcpResponse("application/json",
                               R"({"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a"}]}})")
                  .ok());
  EXPECT_TRUE(
      CheckMcpResponse("application/json", R"({"jsonrpc":"2.0","id":1,"result":{"tools":[]}})")
          .ok());
  absl::Status err =
      CheckMcpResponse("application/json",
                       R"({"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"db down"}})");
  EXPECT_FALSE(err.ok());
  EXPECT_EQ(err.message(), "JSON-RPC error: db down");
  EXPECT_FALSE(
      CheckMcpResponse("application/json", R"({"jsonrpc":"2.0","id":1,"result":{}})").ok());
  EXPECT_FALSE(CheckMcpResponse("application/json", R"({"jsonrpc":"2.0","id":1})").ok());
  EXPECT_FALSE(CheckMcpResponse("text/html", "<html>502 Bad Gateway</html>").ok());
  EXPECT_FALSE(CheckMcpResponse("application/json", "[1,2]").ok());
  EXPECT_FALSE(CheckMcpResponse("application/json", "").ok());
}

TEST(ProbeChecksTest, McpServerSentEvents) {
  EXPECT_TRUE(CheckMcpResponse("text/event-stream; charset=utf-8",
                               "event: message\r\ndata: "
                               R"({"jsonrpc":"2.0","id":1,"result":{"tools":[]}})"
                               "\r\n\r\n")
                  .ok());
  EXPECT_FALSE(CheckMcpResponse("text/event-stream",
                                "event: message\ndata: "
                                R"({"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x"}})"
                                "\n\n")
                   .ok());
}

TEST(ProbeChecksTest, DiscordGatewayNeedsAUrl) {
  EXPECT_TRUE(CheckDiscordGateway(R"({"url": "wss://gateway.discord.gg"})").ok());
  EXPECT_FALSE(CheckDiscordGateway(R"({"message": "401: Unauthorized", "code": 0})").ok());
  EXPECT_FALSE(CheckDiscordGateway(R"({"url": ""})").ok());
  EXPECT_FALSE(CheckDiscordGateway("not json").ok());
}

}  // namespace
}  // namespace rollguard::agent
