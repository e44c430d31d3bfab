// Protobuf messages in a RecordStore table: scan them parsed, or read one by
// key. A value that does not parse is counted and skipped (logged by the
// caller), so one damaged record never hides the rest.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "collector/storage/record_store.h"

namespace rollguard::collector {

// fn(T&&) -> bool (false stops). Keys in [start, end) ("" end = to the last).
template <typename T, typename Fn>
[[nodiscard]] absl::Status ScanMessages(const RecordStore& records, Table table,
                                        absl::string_view start, absl::string_view end, Fn fn,
                                        size_t* unparsable = nullptr) {
  return records.Scan(table, start, end, [&](absl::string_view, absl::string_view value) {
    T msg;
    if (!msg.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      if (unparsable != nullptr) ++*unparsable;
      return true;
    }
    return fn(std::move(msg));
  });
}

// The message stored under `key`, nullopt when there is none.
template <typename T>
[[nodiscard]] absl::StatusOr<std::optional<T>> GetMessage(const RecordStore& records, Table table,
                                                          const std::string& key) {
  std::optional<T> found;
  size_t bad = 0;
  absl::Status s = ScanMessages<T>(
      records, table, key, key + std::string(1, '\0'),
      [&](T&& msg) {
        found = std::move(msg);
        return false;
      },
      &bad);
  if (!s.ok()) return s;
  if (bad > 0) return absl::DataLossError(absl::StrCat("record '", key, "' does not parse"));
  return found;
}

}  // namespace rollguard::collector
