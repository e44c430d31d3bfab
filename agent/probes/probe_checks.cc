#include "agent/probes/probe_checks.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rollguard::agent {
namespace {

using google::protobuf::Value;

absl::Status ParseJson(absl::string_view text, Value* out) {
  auto s = google::protobuf::util::JsonStringToMessage(std::string(text), out);
  if (!s.ok()) return absl::InvalidArgumentError("response is not JSON");
  return absl::OkStatus();
}

// The JSON of an SSE response: the data: lines of the first event, joined.
std::string SseData(absl::string_view body) {
  std::string data;
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    line = absl::StripTrailingAsciiWhitespace(line);
    if (line.empty() && !data.empty()) break;  // end of the first event
    if (absl::StartsWith(line, "data:")) {
      absl::StrAppend(&data, absl::StripLeadingAsciiWhitespace(line.substr(5)), "\n");
    }
  }
  return data;
}

}  // namespace

absl::Status CheckMcpResponse(absl::string_view content_type, absl::string_view body) {
  std::string json = absl::StrContains(absl::AsciiStrToLower(content_type), "text/event-stream")
                         ? SseData(body)
                         : std::string(body);
  Value v;
  if (absl::Status s = ParseJson(json, &v); !s.ok()) return s;
  if (!v.has_struct_value()) return absl::InvalidArgumentError("response is not a JSON object");
  const auto& fields = v.struct_value().fields();
  if (auto err = fields.find("error"); err != fields.end()) {
    std::string msg = "JSON-RPC error";
    if (err->second.has_struct_value()) {
      const auto& ef = err->second.struct_value().fields();
      if (auto m = ef.find("message"); m != ef.end() && m->second.has_string_value()) {
        absl::StrAppend(&msg, ": ", m->second.string_value());
      }
    }
    return absl::UnavailableError(msg);
  }
  auto result = fields.find("result");
  if (result == fields.end() || !result->second.has_struct_value()) {
    return absl::InvalidArgumentError("no JSON-RPC result");
  }
  const auto& rf = result->second.struct_value().fields();
  auto tools = rf.find("tools");
  if (tools == rf.end() || !tools->second.has_list_value()) {
    return absl::InvalidArgumentError("JSON-RPC result has no tools list");
  }
  return absl::OkStatus();
}

absl::Status CheckDiscordGateway(absl::string_view body) {
  Value v;
  if (absl::Status s = ParseJson(body, &v); !s.ok()) return s;
  if (!v.has_struct_value()) return absl::InvalidArgumentError("response is not a JSON object");
  const auto& fields = v.struct_value().fields();
  auto url = fields.find("url");
  if (url == fields.end() || !url->second.has_string_value() ||
      url->second.string_value().empty()) {
    return absl::InvalidArgumentError("gateway response has no url");
  }
  return absl::OkStatus();
}

}  // namespace rollguard::agent
