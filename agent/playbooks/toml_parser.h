// toml++ (Debian's libtomlplusplus-dev) header-only, so the agent gains no
// shared library, with exceptions and formatters off.
//
// toml++ 3.3 asserts things a malformed file can break (a table header like
// `[=]` reaches parse_key's assertion), and built with clang and NDEBUG it
// turns those assertions into optimiser assumptions: undefined behaviour on
// a bad file. Its parser reports such input as an error by itself, so the
// assertions are turned off here in every build, never into assumptions.
#pragma once

#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#pragma push_macro("NDEBUG")
#undef NDEBUG
#define TOML_ASSERT(expr) static_cast<void>(0)
#include <toml++/toml.h>
#pragma pop_macro("NDEBUG")
