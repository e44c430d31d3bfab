#include "cli/output.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/duration.h"

namespace rollguard::cli {

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> width(headers_.size(), 0);
  for (size_t i = 0; i < headers_.size(); ++i) width[i] = headers_[i].size();
  for (const auto& r : rows_) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells, bool upper) {
    std::string l;
    for (size_t i = 0; i < cells.size(); ++i) {
      std::string c = upper ? absl::AsciiStrToUpper(cells[i]) : cells[i];
      if (i + 1 < cells.size()) c.resize(width[i] + 2, ' ');
      l += c;
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    absl::StrAppend(&out, l, "\n");
  };
  line(headers_, true);
  for (const auto& r : rows_) line(r, false);
  return out;
}

absl::Status PrintJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.always_print_primitive_fields = true;
  std::string json;
  auto s = google::protobuf::util::MessageToJsonString(message, &json, opts);
  if (!s.ok()) return absl::InternalError(std::string(s.message()));
  std::fputs(json.c_str(), stdout);
  if (json.empty() || json.back() != '\n') std::fputs("\n", stdout);
  return absl::OkStatus();
}

std::string FormatTimestamp(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E3S", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

std::string FormatAgo(int64_t unix_ms, absl::Time now) {
  if (unix_ms <= 0) return "never";
  absl::Duration d = now - absl::FromUnixMillis(unix_ms);
  if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
  if (d < absl::Seconds(1)) return "just now";
  if (d < absl::Minutes(1)) return absl::StrCat(absl::ToInt64Seconds(d), "s ago");
  return absl::StrCat(FormatDurationShort(absl::Seconds(absl::ToInt64Seconds(d))), " ago");
}

}  // namespace rollguard::cli
