// libFuzzer target for set_flags on JSON (json_span + SetJsonValue): input is
// "path\nvalue\njson". Any bytes must be edited or refused, never crash (ASan,
// UBSan); an edit must change only the found span and stay valid JSON. The
// same input goes through the YAML, .env and Python editors: never a crash,
// and a YAML or .env edit changes at most one line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "agent/playbooks/flag_edit.h"
#include "agent/playbooks/json_span.h"

namespace {

// At most one line differs between `a` and `b`, and they have as many.
bool OneLineChanged(const std::string& a, const std::string& b) {
  std::vector<std::string> x = absl::StrSplit(a, '\n');
  std::vector<std::string> y = absl::StrSplit(b, '\n');
  if (x.size() != y.size()) return false;
  int changed = 0;
  for (size_t i = 0; i < x.size(); ++i) changed += x[i] != y[i];
  return changed <= 1;
}

void OtherFormats(const std::string& path, const std::string& value, const std::string& doc) {
  auto yaml = rollguard::agent::SetYamlValue(doc, path, value);
  if (yaml.ok() && !OneLineChanged(doc, *yaml)) std::abort();
  auto env = rollguard::agent::SetEnvValue(doc, path, value);
  if (env.ok() && !OneLineChanged(doc, *env)) std::abort();
  (void)rollguard::agent::SetPythonValue(doc, path, value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  size_t a = in.find('\n');
  if (a == std::string::npos) return 0;
  size_t b = in.find('\n', a + 1);
  if (b == std::string::npos) return 0;
  const std::string path = in.substr(0, a), value = in.substr(a + 1, b - a - 1);
  const std::string json = in.substr(b + 1);
  OtherFormats(path, value, json);
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
