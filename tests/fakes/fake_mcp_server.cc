// A stand-in for the soccer MCP server and Discord's gateway, for tests and
// the demo. Serves on 127.0.0.1 only:
//   POST /mcp       JSON-RPC tools/list, answered according to the mode
//   GET  /gateway   {"url": "wss://gateway.discord.gg"}
//   GET|POST /control?mode=healthy|error|slow|down|sse   switch behaviour
// Modes: healthy (a tools list), error (HTTP 200 carrying a JSON-RPC error),
// slow (healthy after --slow-ms), down (HTTP 503), sse (healthy, as
// server-sent events like a streamable-HTTP MCP server).
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

int main(int argc, char** argv) {
  std::string port_file, mode_arg = "healthy";
  int port = 0, slow_ms = 3000;
  CLI::App app{"fake-mcp-server: a switchable MCP/Discord stand-in on 127.0.0.1"};
  app.add_option("--port", port, "port (0 = any free one)");
  app.add_option("--port-file", port_file, "write the bound port here");
  app.add_option("--mode", mode_arg, "initial mode");
  app.add_option("--slow-ms", slow_ms, "delay in slow mode");
  CLI11_PARSE(app, argc, argv);

  std::mutex mu;
  std::string mode = mode_arg;
  std::atomic<long> requests{0};
  httplib::Server server;
  const std::string tools =
      R"({"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"get_matches"},{"name":"get_standings"}]}})";

  server.Post("/mcp", [&](const httplib::Request& req, httplib::Response& res) {
    ++requests;
    std::string m;
    {
      std::lock_guard<std::mutex> lock(mu);
      m = mode;
    }
    if (req.body.find("tools/list") == std::string::npos) {
      res.set_content(
          R"({"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}})",
          "application/json");
      return;
    }
    if (m == "down") {
      res.status = 503;
      res.set_content("service unavailable", "text/plain");
    } else if (m == "error") {
      res.set_content(
          R"({"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"upstream data provider failed"}})",
          "application/json");
    } else if (m == "sse") {
      res.set_content("event: message\ndata: " + tools + "\n\n", "text/event-stream");
    } else {
      if (m == "slow") std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms));
      res.set_content(tools, "application/json");
    }
  });
  server.Get("/gateway", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"url": "wss://gateway.discord.gg"})", "application/json");
  });
  auto control = [&](const httplib::Request& req, httplib::Response& res) {
    std::string m = req.get_param_value("mode");
    if (m != "healthy" && m != "error" && m != "slow" && m != "down" && m != "sse") {
      res.status = 400;
      res.set_content("mode must be healthy, error, slow, down or sse\n", "text/plain");
      return;
    }
    std::lock_guard<std::mutex> lock(mu);
    mode = m;
    std::fprintf(stderr, "fake-mcp-server: mode %s\n", m.c_str());
    res.set_content("ok\n", "text/plain");
  };
  server.Post("/control", control);
  server.Get("/control", control);
  server.new_task_queue = [] { return new httplib::ThreadPool(8); };

  int bound = port == 0 ? server.bind_to_any_port("127.0.0.1") : port;
  if (port != 0 && !server.bind_to_port("127.0.0.1", port)) bound = -1;
  if (bound <= 0) {
    std::fprintf(stderr, "fake-mcp-server: cannot bind 127.0.0.1:%d\n", port);
    return 1;
  }
  if (!port_file.empty()) {
    std::ofstream(port_file + ".tmp") << bound << "\n";
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  }
  std::fprintf(stderr, "fake-mcp-server: listening on 127.0.0.1:%d, mode %s\n", bound,
               mode.c_str());
  server.listen_after_bind();
  return 0;
}
