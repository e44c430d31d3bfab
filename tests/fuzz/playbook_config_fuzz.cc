// libFuzzer target for the agent's playbook loader: any text in the
// `playbooks:` / `service:` part of an agent config must load or be refused
// with an error, never crash (the config is written by people, by hand).
// Built with ASan and UBSan. Build and run: make fuzz  (needs clang).
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/playbooks/playbook.h"
#include "common/config_node.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto node = rollguard::ConfigNode::Parse(text, "fuzz.yaml");
  if (!node.ok()) return 0;
  rollguard::agent::PlaybookConfig config;
  (void)rollguard::agent::LoadPlaybookConfig(*node, &config);
  return 0;
}
