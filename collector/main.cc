// rollguard-collector: receives agent streams, stores history, serves the CLI.
#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "collector/alerting/rule.h"
#include "collector/auth/token_store.h"
#include "collector/collector.h"
#include "collector/collector_config.h"
#include "common/address.h"
#include "common/command_line.h"
#include "common/daemon_process.h"
#include "common/default_config.h"
#include "common/duration.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/redact.h"
#include "common/signals.h"
#include "common/systemd_notify.h"

namespace {

using rollguard::collector::CollectorConfig;

int Fail(const std::string& msg) {
  std::fprintf(stderr, "rollguard-collector: %s\n", msg.c_str());
  return 2;
}

// The command line, as given; empty means "not given" (the config file or
// the default applies).
struct Flags {
  std::string config_path, listen, http_listen, data_dir, retention, log_level, port_file, rules,
      automation;
  std::string tls_cert, tls_key, tls_client_ca, tokens_file;
  bool sync_writes = false;
  bool insecure = false;
  bool check_config = false;
};

void AddFlags(CLI::App& app, Flags* f) {
  app.add_option("--config", f->config_path,
                 "YAML config file (default /etc/rollguard/collector.yaml when it exists; see "
                 "deploy/config/collector.yaml)")
      ->check(CLI::ExistingFile);
  app.add_flag("--check-config", f->check_config,
               "validate the config (and the rules file it names), print what would run, exit: 0 "
               "or the file:line error");
  app.add_option("--listen", f->listen, "address to serve on, HOST:PORT (default 127.0.0.1:7700)");
  app.add_option("--http-listen", f->http_listen,
                 "HTTP address for GET /metrics (default 127.0.0.1:7780; 'off' to disable)");
  app.add_option("--data-dir", f->data_dir, "RocksDB folder (default ./rollguard-data)");
  app.add_option("--retention", f->retention, "keep samples this long, e.g. 30d (default 30d)");
  app.add_flag("--sync-writes", f->sync_writes,
               "fsync every batch before acknowledging it (survives power loss; slower)");
  app.add_option("--port-file", f->port_file, "write the bound port here (for --listen HOST:0)");
  app.add_option("--rules", f->rules,
                 "alert rules YAML (default: the built-in runbook thresholds, "
                 "deploy/config/rules.yaml); SIGHUP reloads it")
      ->check(CLI::ExistingFile);
  app.add_option("--automation", f->automation,
                 "act on alerts by itself: auto (dispatch playbooks at once), confirm (propose; "
                 "`rollguard approve`), off (default off; see automation: in the config)");
  app.add_option("--log-level", f->log_level, "trace, debug, info, warn, error (default info)");
  app.add_option("--tls-cert", f->tls_cert,
                 "this collector's certificate (PEM; `rollguard pki init`)");
  app.add_option("--tls-key", f->tls_key, "its private key");
  app.add_option("--tls-client-ca", f->tls_client_ca,
                 "CA that agents' and operators' certificates must come from; with the two above "
                 "every connection is mTLS (files re-read when they change)");
  app.add_option("--tokens-file", f->tokens_file,
                 "operators' bearer tokens, NAME ROLE SHA256 lines (`rollguard pki token`); "
                 "re-read on SIGHUP");
  app.add_flag("--insecure", f->insecure,
               "allow plaintext on a non-loopback --listen (anyone who reaches it can roll back "
               "the fleet)");
}

// The config file (if any), then each flag given over it, validated. An
// error names the flag or the file's key.
absl::StatusOr<CollectorConfig> BuildConfig(const Flags& f) {
  CollectorConfig config;
  if (!f.config_path.empty()) {
    auto loaded = rollguard::collector::LoadCollectorConfig(f.config_path);
    if (!loaded.ok()) return loaded.status();
    config = *loaded;
  }
  if (!f.listen.empty()) config.listen = f.listen;
  if (!f.data_dir.empty()) config.data_dir = f.data_dir;
  if (!f.http_listen.empty()) {
    config.http_listen = f.http_listen == "off" ? "" : f.http_listen;
    config.http_listen_set = true;
    if (!config.http_listen.empty()) {
      auto a = rollguard::ValidateAddress("--http-listen", config.http_listen);
      if (!a.ok()) return a.status();
    }
  }
  if (!f.log_level.empty()) config.log_level = f.log_level;
  if (!f.port_file.empty()) config.port_file = f.port_file;
  if (f.sync_writes) config.sync_writes = true;
  if (!f.tls_cert.empty()) config.tls.cert = f.tls_cert;
  if (!f.tls_key.empty()) config.tls.key = f.tls_key;
  if (!f.tls_client_ca.empty()) config.tls.ca = f.tls_client_ca;
  if (!f.tokens_file.empty()) config.tokens_file = f.tokens_file;
  if (f.insecure) config.insecure = true;
  if (!f.rules.empty()) config.alerting.rules_path = f.rules;
  if (!f.automation.empty()) {
    auto mode = rollguard::collector::ParseAutomationMode(f.automation);
    if (!mode.ok()) {
      return absl::InvalidArgumentError("--automation: " + std::string(mode.status().message()));
    }
    config.automation.mode = *mode;
  }
  if (!f.retention.empty()) {
    auto d = rollguard::ParseDuration(f.retention);
    if (!d.ok())
      return absl::InvalidArgumentError("--retention: " + std::string(d.status().message()));
    config.retention = *d;
  }
  if (auto s = rollguard::collector::ValidateCollectorConfig(config); !s.ok()) return s;
  return config;
}

std::atomic<rollguard::collector::Collector*> running{nullptr};

// systemd's view of the daemon (Type=notify); a failure to tell it is logged,
// never fatal: the collector serves either way.
void Notify(absl::string_view state) {
  if (absl::Status s = rollguard::NotifySystemd(state); !s.ok()) {
    spdlog::warn("{}", std::string(s.message()));
  }
}

// SIGHUP: the config file again, for its receivers and routes. A file that
// no longer parses changes nothing (the running ones stay, the error is
// logged); other keys need a restart, and a change to them is not applied.
void ReloadNotifications(rollguard::collector::Collector* c, const std::string& path) {
  if (path.empty()) return;
  auto config = rollguard::collector::LoadCollectorConfig(path);
  if (config.ok()) {
    if (absl::Status s = rollguard::collector::ValidateCollectorConfig(*config); !s.ok()) {
      config = s;
    }
  }
  if (!config.ok()) {
    spdlog::error("reload: {}: keeping the running receivers and routes",
                  std::string(config.status().message()));
    return;
  }
  c->ReloadNotify(std::move(config->alerting.notify));
}

// SIGTERM/SIGINT stop the running collector; SIGHUP reloads rules, tokens,
// receivers and routes.
void HandleSignals(const std::string& config_path) {
  rollguard::HandleTerminationSignals(
      [](int signo) {
        spdlog::info("signal {}: shutting down", signo);
        Notify("STOPPING=1");
        if (auto* c = running.load()) {
          c->Stop();
        } else {
          std::_Exit(1);
        }
      },
      [config_path] {
        spdlog::info("SIGHUP: reloading rules, tokens, receivers and routes");
        auto* c = running.load();
        if (c == nullptr) return;  // not serving yet (or any more): no READY to send
        Notify("RELOADING=1");
        (void)c->ReloadRules();   // logs its own outcome
        (void)c->ReloadTokens();  // likewise
        ReloadNotifications(c, config_path);
        Notify("READY=1");
      });
}

// --check-config: everything Start() would refuse for its files, without
// opening the data folder or a port.
int CheckConfig(const Flags& flags, const CollectorConfig& config) {
  if (!config.alerting.rules_path.empty()) {
    auto rules = rollguard::LoadRulesFile(config.alerting.rules_path);
    if (!rules.ok()) return Fail(std::string(rules.status().message()));
    std::printf("rules: %s (%zu rules)\n", config.alerting.rules_path.c_str(), rules->size());
  } else {
    std::printf("rules: the built-in runbook thresholds\n");
  }
  if (!config.tokens_file.empty()) {
    auto text = rollguard::ReadFile(config.tokens_file);
    if (!text.ok()) return Fail(std::string(text.status().message()));
    auto tokens = rollguard::collector::ParseTokensFile(config.tokens_file, *text);
    if (!tokens.ok()) return Fail(std::string(tokens.status().message()));
    std::printf("tokens: %s (%zu tokens)\n", config.tokens_file.c_str(), tokens->size());
  }
  std::printf("config: %s\nlisten: %s\nhttp_listen: %s\ndata_dir: %s\n",
              flags.config_path.empty() ? "(none: built-in defaults)" : flags.config_path.c_str(),
              config.listen.c_str(),
              config.http_listen.empty() ? "off" : config.http_listen.c_str(),
              config.data_dir.c_str());
  for (const auto& r : config.remote_write) {
    std::printf("remote_write: %s -> %s\n", r.name.c_str(), rollguard::RedactUrl(r.url).c_str());
  }
  if (config.ha.enabled()) {
    std::vector<std::string> etcd;
    for (const std::string& u : config.ha.etcd) etcd.push_back(rollguard::RedactUrl(u));
    std::printf("ha: cluster '%s', member '%s', lease ttl %llds, etcd %s\n",
                config.ha.cluster.c_str(),
                config.ha.member.empty() ? "<hostname>:<port>" : config.ha.member.c_str(),
                static_cast<long long>(absl::ToInt64Seconds(config.ha.ttl)),
                absl::StrJoin(etcd, ",").c_str());
  } else {
    std::printf("ha: off (this collector acts alone)\n");
  }
  std::printf("config OK\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  rollguard::PrepareDaemonProcess();
  CLI::App app{
      "rollguard-collector: accepts rollguard-agent streams, stores their samples in RocksDB "
      "and answers the rollguard CLI.\nFlags override the config file."};
  app.set_version_flag("--version", std::string(ROLLGUARD_VERSION));
  Flags flags;
  AddFlags(app, &flags);
  if (auto done = rollguard::ParseCommandLine(app, argc, argv)) return *done;
  if (flags.config_path.empty()) flags.config_path = rollguard::DefaultConfigPath("collector.yaml");

  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(std::string(config.status().message()));
  if (flags.check_config) return CheckConfig(flags, *config);
  if (auto s = rollguard::InitLogging("collector", config->log_level); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  if (!flags.config_path.empty()) spdlog::info("config: {}", flags.config_path);
  HandleSignals(flags.config_path);
  curl_global_init(CURL_GLOBAL_DEFAULT);  // once, before any notifier thread
  rollguard::collector::Collector collector(*config);
  if (auto s = collector.Start(); !s.ok()) {
    // Not a usage error (2): a port or data folder in use may free up, and
    // systemd retries (RestartPreventExitStatus=2 is for config errors).
    Fail(std::string(s.message()));
    return 1;
  }
  running = &collector;
  Notify("READY=1\nSTATUS=serving");
  collector.Wait();
  running = nullptr;
  return 0;
}
