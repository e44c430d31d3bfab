// One way for all three programs to end on a command-line problem: exit
// code 2 with CLI11's message naming the flag (CLI11's own codes, 105 and
// up, are not what scripts expect), 0 for --help and --version.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>

namespace rollguard {

inline constexpr int kExitUsage = 2;

// Parses argv. nullopt: go on. A value: parsing ended the program (help,
// version, or a usage error already printed); return it from main().
std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv);

}  // namespace rollguard
