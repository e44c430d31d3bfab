// rollguard-agent: watches one bot host and streams what it sees to the collector.
#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/agent_config.h"
#include "agent/playbooks/local_run.h"
#include "common/address.h"
#include "common/duration.h"
#include "common/labels.h"
#include "common/logging.h"
#include "common/signals.h"

namespace {

int Fail(const std::string& msg) {
  std::fprintf(stderr, "rollguard-agent: %s\n", msg.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using rollguard::agent::AgentConfig;
  CLI::App app{
      "rollguard-agent: samples this host and its bot process and streams the samples to the "
      "rollguard collector over one gRPC stream, buffering while the collector is away.\n"
      "Flags override the config file."};
  app.set_version_flag("--version", std::string(ROLLGUARD_VERSION));
  std::string config_path, collector, host_id, interval, log_level;
  std::vector<std::string> labels;
  app.add_option("--config", config_path,
                 "YAML config file (optional; see deploy/config/agent.yaml)")
      ->check(CLI::ExistingFile);
  app.add_option("--collector", collector, "collector address HOST:PORT (default 127.0.0.1:7700)");
  app.add_option("--host-id", host_id, "this host's id (default: the hostname)");
  app.add_option("--interval", interval, "sampling interval, e.g. 10s, 500ms (default 10s)");
  app.add_option("--label", labels, "a label k=v for this host (repeatable)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error (default info)");
  std::string tls_ca, tls_cert, tls_key;
  app.add_option("--tls-ca", tls_ca, "CA that signed the collector's certificate (turns TLS on)");
  app.add_option("--tls-cert", tls_cert,
                 "this agent's certificate (`rollguard pki agent HOST_ID`); re-read when it "
                 "changes");
  app.add_option("--tls-key", tls_key, "its private key");
  std::string statsd_listen;
  app.add_option(
      "--statsd-listen", statsd_listen,
      "UDP address for the bot's StatsD metrics (default 127.0.0.1:8125; 'off' to disable)");
  // Local playbook runs, for the operator on the box when the network is gone.
  std::string playbook, command_id;
  bool dry_run = false;
  auto* run = app.add_subcommand(
      "run", "Run one of this agent's playbooks here and now, without a collector");
  run->add_option("playbook", playbook, "playbook name (see `rollguard-agent playbooks`)")
      ->required();
  run->add_flag("--dry-run", dry_run, "print the plan and change nothing");
  auto* undo = app.add_subcommand("undo", "Put back every file a playbook run changed");
  undo->add_option("command_id", command_id, "the id `run` printed")->required();
  auto* list = app.add_subcommand("playbooks", "List this agent's playbooks and their steps");
  app.require_subcommand(0, 1);
  // `rollguard-agent run X --config FILE` as well as `--config FILE run X`.
  for (auto* sub : {run, undo, list}) sub->fallthrough();
  CLI11_PARSE(app, argc, argv);

  AgentConfig config;
  if (!config_path.empty()) {
    auto loaded = rollguard::agent::LoadAgentConfig(config_path);
    if (!loaded.ok()) return Fail(std::string(loaded.status().message()));
    config = *loaded;
  }
  if (!collector.empty()) config.collector = collector;
  if (!host_id.empty()) config.host_id = host_id;
  if (!tls_ca.empty()) config.tls.ca = tls_ca;
  if (!tls_cert.empty()) config.tls.cert = tls_cert;
  if (!tls_key.empty()) config.tls.key = tls_key;
  if (!log_level.empty()) config.log_level = log_level;
  if (!statsd_listen.empty()) config.statsd_listen = statsd_listen == "off" ? "" : statsd_listen;
  if (!interval.empty()) {
    auto d = rollguard::ParseDuration(interval);
    if (!d.ok()) return Fail("--interval: " + std::string(d.status().message()));
    config.interval = *d;
  }
  for (const std::string& l : labels) {
    auto kv = rollguard::ParseLabelFlag(l);
    if (!kv.ok()) return Fail("--label: " + std::string(kv.status().message()));
    config.labels[kv->first] = kv->second;
  }
  if (auto s = rollguard::agent::FinalizeAgentConfig(&config); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  if (auto s = rollguard::InitLogging("agent", config.log_level); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  if (run->parsed() || undo->parsed() || list->parsed()) {
    if (!config.playbooks.enabled) {
      return Fail("no service: and playbooks: in the config; pass --config FILE");
    }
    rollguard::agent::PlaybookRunner runner(config.playbooks);
    if (list->parsed()) return rollguard::agent::PrintPlaybooks(runner.config());
    if (undo->parsed()) {
      auto restored = runner.Undo(command_id);
      if (!restored.ok()) return Fail(std::string(restored.status().message()));
      for (const auto& p : *restored) std::printf("restored %s\n", p.c_str());
      std::printf("undo of %s: %zu file(s) restored\n", command_id.c_str(), restored->size());
      return 0;
    }
    return rollguard::agent::RunPlaybookLocally(runner, playbook, dry_run);
  }

  // Signals are blocked before the agent starts any thread (gRPC's included),
  // so only the signal thread ever sees them.
  static std::atomic<rollguard::agent::Agent*> running{nullptr};
  static std::atomic<bool> stop_requested{false};
  rollguard::HandleTerminationSignals([](int signo) {
    spdlog::info("signal {}: stopping", signo);
    stop_requested = true;
    if (auto* a = running.load()) a->Stop();
  });
  curl_global_init(CURL_GLOBAL_DEFAULT);  // once, before any probe thread
  rollguard::agent::Agent agent(config);
  if (auto s = agent.Init(); !s.ok()) return Fail(std::string(s.message()));
  running = &agent;
  if (stop_requested) agent.Stop();
  agent.Run();
  running = nullptr;
  return 0;
}
