// Where a value sits in a JSON text, found by a dotted path, so set_flags can
// replace exactly that value's bytes: key order, spacing, number spellings
// (a 19-digit Discord id stays exact) and everything else stay as written.
// The text must be valid JSON (checked first); nesting is bounded.
#pragma once

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rollguard::agent {

enum class JsonKind { kNull, kBool, kNumber, kString, kObject, kArray };

struct JsonSpan {
  size_t begin = 0;  // the value's first byte
  size_t end = 0;    // one past its last
  JsonKind kind = JsonKind::kNull;
};

// The value at `dotted_path` ("features.soccer": key "soccer" of the object
// under "features"). Not found, or found more than once (a key repeated in
// one object), is FAILED_PRECONDITION naming the path and the count.
[[nodiscard]] absl::StatusOr<JsonSpan> FindJsonValue(absl::string_view text,
                                                     absl::string_view dotted_path);

}  // namespace rollguard::agent
