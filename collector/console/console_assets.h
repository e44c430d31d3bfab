// The console's files, compiled in (cmake/embed_files.cmake turns
// collector/console/web/* and Debian's Chart.js into a table), so the
// console works offline and its files always match the binary.
#pragma once

#include "absl/strings/string_view.h"

namespace rollguard::collector {

struct ConsoleAsset {
  absl::string_view path;  // "/index.html", "/assets/console.js", ...
  absl::string_view content_type;
  absl::string_view body;
  absl::string_view etag;  // "\"<SHA-256 prefix>\"", for HTTP caching
};

// The file served at `path`, or null.
const ConsoleAsset* FindConsoleAsset(absl::string_view path);

}  // namespace rollguard::collector
