// rollguard-collector: receives agent streams, stores history, serves the CLI.
#include <curl/curl.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "collector/collector.h"
#include "collector/collector_config.h"
#include "common/duration.h"
#include "common/logging.h"
#include "common/signals.h"

namespace {

int Fail(const std::string& msg) {
  std::fprintf(stderr, "rollguard-collector: %s\n", msg.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives each busy thread (gRPC, ingest workers, the sealer, RocksDB)
  // its own malloc arena, and memory freed in one is not reused by another:
  // with a million series that fragmentation was ~70 MB of RSS. Two arenas
  // are plenty for a 2-core host. (MALLOC_ARENA_MAX in the environment wins.)
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);
  using rollguard::collector::CollectorConfig;
  CLI::App app{
      "rollguard-collector: accepts rollguard-agent streams, stores their samples in RocksDB "
      "and answers the rollguard CLI.\nFlags override the config file."};
  app.set_version_flag("--version", std::string(ROLLGUARD_VERSION));
  std::string config_path, listen, data_dir, retention, log_level, port_file;
  bool sync_writes = false;
  app.add_option("--config", config_path,
                 "YAML config file (optional; see deploy/config/collector.yaml)")
      ->check(CLI::ExistingFile);
  app.add_option("--listen", listen, "address to serve on, HOST:PORT (default 127.0.0.1:7700)");
  app.add_option("--data-dir", data_dir, "RocksDB folder (default ./rollguard-data)");
  app.add_option("--retention", retention, "keep samples this long, e.g. 30d (default 30d)");
  app.add_flag("--sync-writes", sync_writes,
               "fsync every batch before acknowledging it (survives power loss; slower)");
  app.add_option("--port-file", port_file, "write the bound port here (for --listen HOST:0)");
  std::string rules;
  app.add_option("--rules", rules,
                 "alert rules YAML (default: the built-in runbook thresholds, "
                 "deploy/config/rules.yaml); SIGHUP reloads it")
      ->check(CLI::ExistingFile);
  std::string automation;
  app.add_option("--automation", automation,
                 "act on alerts by itself: auto (dispatch playbooks at once), confirm (propose; "
                 "`rollguard approve`), off (default off; see automation: in the config)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error (default info)");
  std::string tls_cert, tls_key, tls_client_ca, tokens_file;
  bool insecure = false;
  app.add_option("--tls-cert", tls_cert,
                 "this collector's certificate (PEM; `rollguard pki init`)");
  app.add_option("--tls-key", tls_key, "its private key");
  app.add_option("--tls-client-ca", tls_client_ca,
                 "CA that agents' and operators' certificates must come from; with the two above "
                 "every connection is mTLS (files re-read when they change)");
  app.add_option("--tokens-file", tokens_file,
                 "operators' bearer tokens, NAME ROLE SHA256 lines (`rollguard pki token`); "
                 "re-read on SIGHUP");
  app.add_flag("--insecure", insecure,
               "allow plaintext on a non-loopback --listen (anyone who reaches it can roll back "
               "the fleet)");
  CLI11_PARSE(app, argc, argv);

  CollectorConfig config;
  if (!config_path.empty()) {
    auto loaded = rollguard::collector::LoadCollectorConfig(config_path);
    if (!loaded.ok()) return Fail(std::string(loaded.status().message()));
    config = *loaded;
  }
  if (!listen.empty()) config.listen = listen;
  if (!data_dir.empty()) config.data_dir = data_dir;
  if (!log_level.empty()) config.log_level = log_level;
  if (!port_file.empty()) config.port_file = port_file;
  if (sync_writes) config.sync_writes = true;
  if (!tls_cert.empty()) config.tls.cert = tls_cert;
  if (!tls_key.empty()) config.tls.key = tls_key;
  if (!tls_client_ca.empty()) config.tls.ca = tls_client_ca;
  if (!tokens_file.empty()) config.tokens_file = tokens_file;
  if (insecure) config.insecure = true;
  if (!rules.empty()) config.alerting.rules_path = rules;
  if (!automation.empty()) {
    auto mode = rollguard::collector::ParseAutomationMode(automation);
    if (!mode.ok()) {
      std::fprintf(stderr, "rollguard-collector: --automation: %s\n",
                   std::string(mode.status().message()).c_str());
      return 2;
    }
    config.automation.mode = *mode;
  }
  if (!retention.empty()) {
    auto d = rollguard::ParseDuration(retention);
    if (!d.ok()) return Fail("--retention: " + std::string(d.status().message()));
    config.retention = *d;
  }
  if (auto s = rollguard::collector::ValidateCollectorConfig(config); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  if (auto s = rollguard::InitLogging("collector", config.log_level); !s.ok()) {
    return Fail(std::string(s.message()));
  }

  static std::atomic<rollguard::collector::Collector*> running{nullptr};
  rollguard::HandleTerminationSignals(
      [](int signo) {
        spdlog::info("signal {}: shutting down", signo);
        if (auto* c = running.load()) {
          c->Stop();
        } else {
          std::_Exit(1);
        }
      },
      [] {
        spdlog::info("SIGHUP: reloading rules and tokens");
        if (auto* c = running.load()) {
          (void)c->ReloadRules();   // logs its own outcome
          (void)c->ReloadTokens();  // likewise
        }
      });
  curl_global_init(CURL_GLOBAL_DEFAULT);  // once, before any notifier thread
  rollguard::collector::Collector collector(config);
  if (auto s = collector.Start(); !s.ok()) return Fail(std::string(s.message()));
  running = &collector;
  collector.Wait();
  running = nullptr;
  return 0;
}
