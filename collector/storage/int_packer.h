// Packs a sequence of integers (the deltas and offsets the chunk codec makes)
// into close to the fewest bits their spread allows, choosing per sequence
// the cheapest of three codings:
//   - radix: every value minus the smallest, as digits in base (range + 1),
//     many digits to a 64-bit group. A constant sequence costs no bits; the
//     9 values of ±4 ms of jitter cost 3.2 bits, not 4.
//   - Rice on zigzag: a unary quotient and k low bits; near the entropy of
//     the bell-shaped steps of a drifting gauge, and robust to outliers.
//   - Rice on (value - smallest): the same for sequences that never go down
//     (a counter's increments), without zigzag's wasted sign bit.
// Rice quotients of 20 or more are escaped (a 6-bit width, then the value),
// so one huge outlier (a counter reset) costs ~90 bits, not millions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace rollguard::collector {

// Appends `values` to `out`. The count is not written: the reader must know it.
void PackInts(absl::Span<const int64_t> values, std::string* out);

// Reads `n` values written by PackInts from the front of `in` and removes
// them. False if `in` is too short or malformed.
[[nodiscard]] bool UnpackInts(absl::string_view* in, size_t n, std::vector<int64_t>* out);

}  // namespace rollguard::collector
