// libFuzzer target for the agent's whole config loader (agent.yaml: uplink,
// TLS, statsd, probes, bot, service and playbooks). The file is written by
// people, by hand: any text must load or be refused with an error, never
// crash. The loader reads a path, so each input goes through a scratch file.
// Built with ASan and UBSan. Build and run: make fuzz  (needs clang).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "agent/agent_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/rollguard-agent-config-fuzz." + std::to_string(getpid());
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  (void)rollguard::agent::LoadAgentConfig(path);
  return 0;
}
