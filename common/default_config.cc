#include "common/default_config.h"

#include <filesystem>
#include <system_error>

namespace rollguard {

std::string DefaultConfigPath(absl::string_view name, absl::string_view dir) {
  std::filesystem::path path = std::filesystem::path(std::string(dir)) / std::string(name);
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) ? path.string() : std::string();
}

}  // namespace rollguard
