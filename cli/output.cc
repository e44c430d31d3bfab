#include "cli/output.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
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

namespace {

using OrderedJson = nlohmann::ordered_json;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// A singular integer "..._ms" field that is a point in time (not a length).
bool IsTimePoint(const FieldDescriptor& f) {
  static const auto* durations =
      new absl::flat_hash_set<std::string>{"duration_ms", "queue_for_ms", "clock_skew_ms"};
  if (f.is_repeated() || !absl::EndsWith(f.name(), "_ms") || durations->contains(f.name())) {
    return false;
  }
  switch (f.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT64:
    case FieldDescriptor::CPPTYPE_INT32:
      return true;
    default:
      return false;
  }
}

const FieldDescriptor* FieldByJsonName(const Descriptor& d, const std::string& json_name) {
  for (int i = 0; i < d.field_count(); ++i) {
    if (d.field(i)->json_name() == json_name) return d.field(i);
  }
  return nullptr;
}

// Epoch milliseconds as proto JSON writes them: a number, or (int64) a string.
std::optional<int64_t> EpochMs(const OrderedJson& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  int64_t ms = 0;
  if (v.is_string() && absl::SimpleAtoi(v.get<std::string>(), &ms)) return ms;
  return std::nullopt;
}

// Walks the JSON with the message's descriptor, so only real time fields get
// a sibling: a label named "fooMs" in a map is data, left as it is.
OrderedJson WithTimes(const OrderedJson& in, const Descriptor* d) {
  if (d == nullptr || !in.is_object()) return in;
  OrderedJson out = OrderedJson::object();
  for (const auto& [key, value] : in.items()) {
    const FieldDescriptor* f = FieldByJsonName(*d, key);
    if (f == nullptr || f->is_map()) {
      out[key] = value;
      continue;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (value.is_array()) {
        OrderedJson list = OrderedJson::array();
        for (const auto& e : value) list.push_back(WithTimes(e, f->message_type()));
        out[key] = std::move(list);
      } else {
        out[key] = WithTimes(value, f->message_type());
      }
      continue;
    }
    out[key] = value;
    if (!IsTimePoint(*f)) continue;
    std::optional<int64_t> ms = EpochMs(value);
    if (!ms) continue;
    const std::string time_key = key.substr(0, key.size() - 2) + "Time";
    if (*ms <= 0) {
      out[time_key] = nullptr;  // never (unset): the key is there all the same
    } else {
      out[time_key] =
          absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(*ms), absl::UTCTimeZone());
    }
  }
  return out;
}

}  // namespace

std::string AddRfc3339Times(const std::string& json, const google::protobuf::Descriptor* d) {
  OrderedJson doc = OrderedJson::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return json;
  // Invalid UTF-8 (from an agent's strings) is replaced, never a throw.
  return WithTimes(doc, d).dump(2, ' ', false, OrderedJson::error_handler_t::replace) + "\n";
}

absl::Status PrintJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.always_print_primitive_fields = true;
  std::string json;
  auto s = google::protobuf::util::MessageToJsonString(message, &json, opts);
  if (!s.ok()) return absl::InternalError(std::string(s.message()));
  std::fputs(AddRfc3339Times(json, message.GetDescriptor()).c_str(), stdout);
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
