// libFuzzer target for the collector's hand-written YAML: collector.yaml
// (listen, TLS, ingest limits, alerting, notify receivers, automation) and
// the alert rules file. Any text must load or be refused with an error,
// never crash. Built with ASan and UBSan. Build and run: make fuzz.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "collector/alerting/rule.h"
#include "collector/collector_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path =
      "/tmp/rollguard-collector-config-fuzz." + std::to_string(getpid());
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  auto config = rollguard::collector::LoadCollectorConfig(path);
  if (config.ok()) (void)rollguard::collector::ValidateCollectorConfig(*config);
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)rollguard::ParseRules(text, "rules.yaml");
  return 0;
}
