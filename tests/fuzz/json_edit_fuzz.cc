// libFuzzer target for set_flags on JSON (json_span + SetJsonValue): input is
// "path\nvalue\njson". Any bytes must be edited or refused, never crash (ASan,
// UBSan); an edit must change only the found span and stay valid JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/playbooks/flag_edit.h"
#include "agent/playbooks/json_span.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  size_t a = in.find('\n');
  if (a == std::string::npos) return 0;
  size_t b = in.find('\n', a + 1);
  if (b == std::string::npos) return 0;
  const std::string path = in.substr(0, a), value = in.substr(a + 1, b - a - 1);
  const std::string json = in.substr(b + 1);
  auto span = rollguard::agent::FindJsonValue(json, path);
  auto out = rollguard::agent::SetJsonValue(json, path, value);
  if (!out.ok()) return 0;
  if (!span.ok() || span->end > json.size() || span->begin > span->end) std::abort();
  if (out->compare(0, span->begin, json, 0, span->begin) != 0) std::abort();
  const size_t tail = json.size() - span->end;
  if (out->size() < tail || out->compare(out->size() - tail, tail, json, span->end) != 0) {
    std::abort();
  }
  if (!nlohmann::json::accept(*out)) std::abort();
  return 0;
}
