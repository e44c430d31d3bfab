// libFuzzer target for set_flags on TOML (SetTomlValue): input is
// "path\nvalue\ntoml". Any bytes must be edited or refused, never crash (ASan,
// UBSan, toml++ included); an edit changes at most one line (SetTomlValue
// itself parses the result and checks it reads back as asked).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "agent/playbooks/flag_edit.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using rollguard::agent::ValueType;
  std::string in(reinterpret_cast<const char*>(data), size);
  size_t a = in.find('\n');
  if (a == std::string::npos) return 0;
  size_t b = in.find('\n', a + 1);
  if (b == std::string::npos) return 0;
  const std::string path = in.substr(0, a), value = in.substr(a + 1, b - a - 1);
  const std::string doc = in.substr(b + 1);
  // The value's own type, or each `type:` a step can name, by input length.
  const ValueType types[] = {ValueType::kKeep, ValueType::kString, ValueType::kInt,
                             ValueType::kBool, ValueType::kFloat};
  auto out = rollguard::agent::SetTomlValue(doc, path, value, types[size % 5]);
  if (!out.ok()) return 0;
  std::vector<std::string> before = absl::StrSplit(doc, '\n');
  std::vector<std::string> after = absl::StrSplit(*out, '\n');
  if (before.size() != after.size()) std::abort();
  int changed = 0;
  for (size_t i = 0; i < before.size(); ++i) changed += before[i] != after[i];
  if (changed > 1) std::abort();
  return 0;
}
