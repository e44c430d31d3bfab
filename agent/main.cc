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
#include "agent/buffer/spool.h"
#include "agent/playbooks/local_run.h"
#include "agent/playbooks/playbook.h"
#include "common/address.h"
#include "common/command_line.h"
#include "common/daemon_process.h"
#include "common/default_config.h"
#include "common/duration.h"
#include "common/labels.h"
#include "common/logging.h"
#include "common/signals.h"
#include "common/systemd_notify.h"

namespace {

using rollguard::agent::AgentConfig;

int Fail(const std::string& msg) {
  std::fprintf(stderr, "rollguard-agent: %s\n", msg.c_str());
  return 2;
}

// The command line, as given; empty means "not given" (the config file or
// the default applies).
struct Flags {
  std::string config_path, collector, host_id, interval, log_level, statsd_listen, metrics_listen,
      spool_dir;
  std::string tls_ca, tls_cert, tls_key;
  std::vector<std::string> labels;
  bool check_config = false;
};

void AddFlags(CLI::App& app, Flags* f) {
  app.add_option("--config", f->config_path,
                 "YAML config file (default /etc/rollguard/agent.yaml when it exists; see "
                 "deploy/config/agent.yaml)")
      ->check(CLI::ExistingFile);
  app.add_flag("--check-config", f->check_config,
               "validate the config and its playbooks, print what would run, exit: 0 or the "
               "file:line error");
  app.add_option("--collector", f->collector,
                 "collector address HOST:PORT, or an HA pair's members comma-separated "
                 "(default 127.0.0.1:7700)");
  app.add_option("--host-id", f->host_id, "this host's id (default: the hostname)");
  app.add_option("--interval", f->interval, "sampling interval, e.g. 10s, 500ms (default 10s)");
  app.add_option("--label", f->labels, "a label k=v for this host (repeatable)");
  app.add_option("--log-level", f->log_level, "trace, debug, info, warn, error (default info)");
  app.add_option("--tls-ca", f->tls_ca,
                 "CA that signed the collector's certificate (turns TLS on)");
  app.add_option("--tls-cert", f->tls_cert,
                 "this agent's certificate (`rollguard pki agent HOST_ID`); re-read when it "
                 "changes");
  app.add_option("--tls-key", f->tls_key, "its private key");
  app.add_option(
      "--statsd-listen", f->statsd_listen,
      "UDP address for the bot's StatsD metrics (default 127.0.0.1:8125; 'off' to disable)");
  app.add_option("--spool-dir", f->spool_dir,
                 "keep unacknowledged samples on disk here, across restarts (default "
                 "<state_dir>/spool/<host id> with a config file; 'off' for memory only)");
  app.add_option("--metrics-listen", f->metrics_listen,
                 "serve the agent's own health at GET /metrics on this loopback HOST:PORT "
                 "(default off)");
}

// The config file (if any), then each flag given over it, validated. An
// error names the flag or the file's key.
absl::StatusOr<AgentConfig> BuildConfig(const Flags& f) {
  AgentConfig config;
  if (!f.config_path.empty()) {
    auto loaded = rollguard::agent::LoadAgentConfig(f.config_path);
    if (!loaded.ok()) return loaded.status();
    config = *loaded;
  }
  if (!f.collector.empty()) config.collector = f.collector;
  if (!f.host_id.empty()) config.host_id = f.host_id;
  if (!f.tls_ca.empty()) config.tls.ca = f.tls_ca;
  if (!f.tls_cert.empty()) config.tls.cert = f.tls_cert;
  if (!f.tls_key.empty()) config.tls.key = f.tls_key;
  if (!f.log_level.empty()) config.log_level = f.log_level;
  if (!f.statsd_listen.empty()) {
    config.statsd_listen = f.statsd_listen == "off" ? "" : f.statsd_listen;
  }
  if (!f.spool_dir.empty()) {
    config.spool_dir = f.spool_dir == "off" ? "" : f.spool_dir;
    config.spool_dir_set = true;
  }
  if (!f.metrics_listen.empty()) {
    config.metrics_listen = f.metrics_listen == "off" ? "" : f.metrics_listen;
  }
  if (!f.interval.empty()) {
    auto d = rollguard::ParseDuration(f.interval);
    if (!d.ok())
      return absl::InvalidArgumentError("--interval: " + std::string(d.status().message()));
    config.interval = *d;
  }
  for (const std::string& l : f.labels) {
    auto kv = rollguard::ParseLabelFlag(l);
    if (!kv.ok())
      return absl::InvalidArgumentError("--label: " + std::string(kv.status().message()));
    config.labels[kv->first] = kv->second;
  }
  if (absl::Status s = rollguard::agent::FinalizeAgentConfig(&config); !s.ok()) return s;
  return config;
}

// Local playbook runs, for the operator on the box when the network is gone.
struct LocalCommands {
  CLI::App* run = nullptr;
  CLI::App* undo = nullptr;
  CLI::App* list = nullptr;
  std::string playbook, command_id;
  bool dry_run = false;

  bool any() const { return run->parsed() || undo->parsed() || list->parsed(); }
};

void AddLocalCommands(CLI::App& app, LocalCommands* c) {
  c->run = app.add_subcommand(
      "run", "Run one of this agent's playbooks here and now, without a collector");
  c->run->add_option("playbook", c->playbook, "playbook name (see `rollguard-agent playbooks`)")
      ->required();
  c->run->add_flag("--dry-run", c->dry_run, "print the plan and change nothing");
  c->undo = app.add_subcommand("undo", "Put back every file a playbook run changed");
  c->undo->add_option("command_id", c->command_id, "the id `run` printed")->required();
  c->list = app.add_subcommand("playbooks", "List this agent's playbooks and their steps");
  app.require_subcommand(0, 1);
  // `rollguard-agent run X --config FILE` as well as `--config FILE run X`.
  for (auto* sub : {c->run, c->undo, c->list}) sub->fallthrough();
}

int RunLocalCommand(const AgentConfig& config, const LocalCommands& c) {
  if (!config.playbooks.enabled) {
    return Fail("no service: and playbooks: in the config; pass --config FILE");
  }
  rollguard::agent::PlaybookRunner runner(config.playbooks);
  if (c.list->parsed()) return rollguard::agent::PrintPlaybooks(runner.config());
  if (c.undo->parsed()) {
    auto restored = runner.Undo(c.command_id);
    if (!restored.ok()) return Fail(std::string(restored.status().message()));
    for (const auto& p : *restored) std::printf("restored %s\n", p.c_str());
    std::printf("undo of %s: %zu file(s) restored\n", c.command_id.c_str(), restored->size());
    return 0;
  }
  return rollguard::agent::RunPlaybookLocally(runner, c.playbook, c.dry_run);
}

// --check-config: the config and its playbooks parsed and validated (file:line
// errors), and what the agent would do, without starting anything.
int CheckConfig(const Flags& flags, const AgentConfig& config) {
  std::printf("config: %s\nhost_id: %s\ncollector: %s\n",
              flags.config_path.empty() ? "(none: built-in defaults)" : flags.config_path.c_str(),
              config.host_id.c_str(), config.collector.c_str());
  if (config.spool_dir.empty()) {
    std::printf(
        "buffer: %zu samples in memory, no spool (lost if the agent restarts; set "
        "state_dir or buffer.spool_dir)\n",
        config.buffer_max_samples);
  } else {
    std::printf("buffer: %zu samples in memory, spool %s up to %llu MiB\n",
                config.buffer_max_samples, config.spool_dir.c_str(),
                static_cast<unsigned long long>(config.spool_max_bytes >> 20));
    if (absl::Status s = rollguard::agent::CheckSpoolFolder(config.spool_dir); !s.ok()) {
      std::fprintf(stderr, "error: %s\n", std::string(s.message()).c_str());
      return 2;
    }
  }
  if (config.playbooks.enabled) {
    std::printf("service root: %s\nstate_dir: %s\nplaybooks: %zu\n",
                config.playbooks.service.root.c_str(), config.playbooks.state_dir.c_str(),
                config.playbooks.playbooks.size());
    if (rollguard::agent::StateDirInsideRoot(config.playbooks)) {
      std::printf(
          "warning: state_dir is inside the service root (the bot's user could change "
          "the agent's journal)\n");
    }
    if (const char* w = rollguard::agent::SharedCgroupWarning(config.playbooks.service)) {
      std::printf("warning: %s\n", w);
    }
  } else {
    std::printf("playbooks: none (%s)\n", config.playbooks.service.root.empty()
                                              ? "no service: in the config"
                                              : "no playbooks: in the config");
  }
  std::printf("config OK\n");
  return 0;
}

// The daemon, until SIGTERM or SIGINT.
int RunAgent(const AgentConfig& config) {
  // Signals are blocked before the agent starts any thread (gRPC's included),
  // so only the signal thread ever sees them.
  static std::atomic<rollguard::agent::Agent*> running{nullptr};
  static std::atomic<bool> stop_requested{false};
  rollguard::HandleTerminationSignals(
      [](int signo) {
        spdlog::info("signal {}: stopping", signo);
        (void)rollguard::NotifySystemd("STOPPING=1");
        stop_requested = true;
        if (auto* a = running.load()) a->Stop();
      },
      [] {
        // Handled, so a stray SIGHUP (a closed terminal) does not end the
        // agent and lose its buffer; TLS files are re-read on each connect.
        spdlog::warn("SIGHUP: the agent reads its config at start; restart it to apply changes");
      });
  curl_global_init(CURL_GLOBAL_DEFAULT);  // once, before any probe thread
  rollguard::agent::Agent agent(config);
  if (auto s = agent.Init(); !s.ok()) return Fail(std::string(s.message()));
  running = &agent;
  // Serving: the StatsD port is bound and the playbooks are loaded; the
  // collector may still be away (the agent buffers meanwhile).
  if (auto s = rollguard::NotifySystemd("READY=1"); !s.ok()) {
    spdlog::warn("{}", std::string(s.message()));
  }
  if (stop_requested) agent.Stop();
  agent.Run();
  running = nullptr;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  rollguard::PrepareDaemonProcess();
  CLI::App app{
      "rollguard-agent: samples this host and its bot process and streams the samples to the "
      "rollguard collector over one gRPC stream, buffering while the collector is away.\n"
      "Flags override the config file."};
  app.set_version_flag("--version", std::string(ROLLGUARD_VERSION));
  Flags flags;
  AddFlags(app, &flags);
  LocalCommands local;
  AddLocalCommands(app, &local);
  if (auto done = rollguard::ParseCommandLine(app, argc, argv)) return *done;
  if (flags.config_path.empty()) flags.config_path = rollguard::DefaultConfigPath("agent.yaml");

  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(std::string(config.status().message()));
  if (flags.check_config) return CheckConfig(flags, *config);
  if (auto s = rollguard::InitLogging("agent", config->log_level); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  if (!flags.config_path.empty()) spdlog::info("config: {}", flags.config_path);
  if (local.any()) return RunLocalCommand(*config, local);
  return RunAgent(*config);
}
