#include "common/command_line.h"

namespace rollguard {

std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, the version or the error
    return code == 0 ? 0 : kExitUsage;
  }
  return std::nullopt;
}

}  // namespace rollguard
