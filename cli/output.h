// Output for every listing: an aligned table for people, or JSON (protobuf's
// own mapping of the response) for scripts with -o json.
#pragma once

#include <google/protobuf/message.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/number_format.h"

namespace rollguard::cli {

enum class OutputFormat { kTable, kJson };

// Columns padded to their widest cell; the header in capitals.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void AddRow(std::vector<std::string> cells);
  std::string Render() const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Prints `message` as JSON (field names in lowerCamelCase, as protobuf maps
// them), the stable -o json contract (README "The command line"): every
// singular epoch-millisecond field "fooMs" that is a point in time gets a
// sibling "fooTime" in RFC 3339 UTC (null when unset), right after it.
[[nodiscard]] absl::Status PrintJson(const google::protobuf::Message& message);
// The rewriting PrintJson does, on proto JSON text of a message described by
// `d` (unparsable text is returned as it is).
std::string AddRfc3339Times(const std::string& json, const google::protobuf::Descriptor* d);

// "2026-11-28 17:05:03" in UTC.
std::string FormatTimestamp(int64_t unix_ms);
// "12s ago", "3m ago", "never".
std::string FormatAgo(int64_t unix_ms, absl::Time now);
using rollguard::FormatValue;

}  // namespace rollguard::cli
