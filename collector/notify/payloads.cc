#include "collector/notify/payloads.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "common/number_format.h"
#include "common/severity.h"

namespace rollguard::collector {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

Value Str(const std::string& s) {
  Value v;
  v.set_string_value(s);
  return v;
}
Value Num(double d) {
  Value v;
  v.set_number_value(d);
  return v;
}
Value Bool(bool b) {
  Value v;
  v.set_bool_value(b);
  return v;
}

std::string Rfc3339(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

// What this notification says: FIRING, RESOLVED, FLAPPING (a repeat is FIRING).
std::string Status(const Notification& n) {
  switch (n.kind) {
    case NotifyKind::kResolved:
      return "RESOLVED";
    case NotifyKind::kFlapping:
      return "FLAPPING";
    case NotifyKind::kEscalation:
      return "ESCALATED";
    default:
      return "FIRING";
  }
}

// The colour family a message is drawn in, by the chat services alike.
enum class Tone { kResolved, kCritical, kHigh, kOther };

Tone ToneOf(const Notification& n) {
  if (n.kind == NotifyKind::kResolved) return Tone::kResolved;
  switch (ParseSeverity(n.alert.severity())) {
    case Severity::kCritical:
      return Tone::kCritical;
    case Severity::kHigh:
    case Severity::kWarning:
      return Tone::kHigh;
    default:
      return Tone::kOther;
  }
}

int DiscordColor(const Notification& n) {
  if (n.kind == NotifyKind::kFlapping) return 0x9B59B6;  // purple
  switch (ToneOf(n)) {
    case Tone::kResolved:
      return 0x2EB67D;  // green
    case Tone::kCritical:
      return 0xE01E5A;  // red
    case Tone::kHigh:
      return 0xECB22E;  // amber
    case Tone::kOther:
      break;
  }
  return 0x36C5F0;  // blue
}

}  // namespace

std::string OneLine(const Notification& n) {
  const auto& a = n.alert;
  std::string line = absl::StrCat("[", Status(n), "] ", a.severity(), " ", a.rule(), " on ",
                                  a.host_id(), ": ", a.summary());
  if (n.kind == NotifyKind::kResolved) absl::StrAppend(&line, " (", n.reason, ")");
  return line;
}

std::string WebhookPayload(const Notification& n) {
  Value alert;
  (void)google::protobuf::util::JsonStringToMessage(ToJson(n.alert), &alert);
  Struct root;
  auto& f = *root.mutable_fields();
  f["kind"] = Str(NotifyKindName(n.kind));
  f["status"] = Str(absl::AsciiStrToLower(Status(n)));
  f["reason"] = Str(n.reason);
  f["alert"] = alert;
  if (!n.detail.empty()) f["detail"] = Str(n.detail);
  Value labels;
  for (const auto& [k, v] : n.host_labels)
    (*labels.mutable_struct_value()->mutable_fields())[k] = Str(v);
  labels.mutable_struct_value();
  f["hostLabels"] = labels;
  return ToJson(root);
}

std::string DiscordPayload(const Notification& n) {
  const auto& a = n.alert;
  Struct embed;
  auto& e = *embed.mutable_fields();
  e["title"] =
      Str(absl::StrCat("[", Status(n), "] ", a.severity(), ": ", a.rule(), " on ", a.host_id()));
  std::string description = n.kind == NotifyKind::kResolved
                                ? absl::StrCat(a.summary(), "\nResolved: ", n.reason)
                                : a.summary();
  // Discord caps a description at 4096 characters.
  if (!n.detail.empty())
    absl::StrAppend(&description, "\n```\n", n.detail.substr(0, 3500), "\n```");
  e["description"] = Str(description);
  e["color"] = Num(DiscordColor(n));
  e["timestamp"] =
      Str(Rfc3339(n.kind == NotifyKind::kResolved ? a.resolved_at_ms() : a.fired_at_ms()));
  ListValue fields;
  auto add = [&](const std::string& name, const std::string& value) {
    Struct field;
    (*field.mutable_fields())["name"] = Str(name);
    (*field.mutable_fields())["value"] = Str(value.empty() ? "-" : value);
    (*field.mutable_fields())["inline"] = Bool(true);
    *fields.add_values()->mutable_struct_value() = field;
  };
  add("Value", FormatValue(a.value()));
  add("Threshold", absl::StrCat(a.comparison(), " ", FormatValue(a.threshold())));
  add("Host", a.host_id());
  if (!a.playbook().empty()) add("Playbook", a.playbook());
  *e["fields"].mutable_list_value() = fields;
  Struct root;
  (*root.mutable_fields())["username"] = Str("rollguard");
  *(*root.mutable_fields())["embeds"].mutable_list_value()->add_values()->mutable_struct_value() =
      embed;
  return ToJson(root);
}

std::string SlackPayload(const Notification& n) {
  const auto& a = n.alert;
  Struct att;
  auto& f = *att.mutable_fields();
  // Indexed by Tone.
  static const char* kColors[] = {"#2EB67D", "#E01E5A", "#ECB22E", "#36C5F0"};
  f["color"] = Str(kColors[static_cast<int>(ToneOf(n))]);
  f["title"] = Str(absl::StrCat(a.rule(), " on ", a.host_id()));
  f["text"] =
      Str(n.detail.empty() ? a.summary() : absl::StrCat(a.summary(), "\n```", n.detail, "```"));
  ListValue fields;
  for (const auto& [title, value] : std::vector<std::pair<std::string, std::string>>{
           {"Severity", a.severity()},
           {"Value", FormatValue(a.value())},
           {"Threshold", absl::StrCat(a.comparison(), " ", FormatValue(a.threshold()))}}) {
    Struct field;
    (*field.mutable_fields())["title"] = Str(title);
    (*field.mutable_fields())["value"] = Str(value);
    (*field.mutable_fields())["short"] = Bool(true);
    *fields.add_values()->mutable_struct_value() = field;
  }
  *f["fields"].mutable_list_value() = fields;
  Struct root;
  (*root.mutable_fields())["text"] = Str(OneLine(n));
  *(*root.mutable_fields())["attachments"]
       .mutable_list_value()
       ->add_values()
       ->mutable_struct_value() = att;
  return ToJson(root);
}

std::string AlertmanagerPayload(const Notification& n, int64_t now_ms) {
  const auto& a = n.alert;
  Struct alert;
  auto& f = *alert.mutable_fields();
  Struct labels;
  auto& l = *labels.mutable_fields();
  for (const auto& [k, v] : n.host_labels) l[k] = Str(v);
  for (const auto& [k, v] : a.labels()) l[k] = Str(v);
  l["alertname"] = Str(a.rule());
  l["severity"] = Str(a.severity());
  l["family"] = Str(a.family());
  l["host"] = Str(a.host_id());
  *f["labels"].mutable_struct_value() = labels;
  Struct ann;
  (*ann.mutable_fields())["summary"] = Str(a.summary());
  (*ann.mutable_fields())["description"] = Str(n.reason);
  if (!a.playbook().empty()) (*ann.mutable_fields())["playbook"] = Str(a.playbook());
  if (!n.detail.empty()) (*ann.mutable_fields())["detail"] = Str(n.detail);
  *f["annotations"].mutable_struct_value() = ann;
  f["startsAt"] = Str(Rfc3339(a.fired_at_ms() > 0 ? a.fired_at_ms() : now_ms));
  bool resolved = n.kind == NotifyKind::kResolved;
  f["endsAt"] = Str(Rfc3339(resolved ? a.resolved_at_ms() : now_ms + 15 * 60 * 1000));
  f["generatorURL"] = Str("");
  ListValue list;
  *list.add_values()->mutable_struct_value() = alert;
  return ToJson(list);
}

std::string EmailMessage(const Notification& n, const std::string& from,
                         const std::vector<std::string>& to, int64_t now_ms) {
  const auto& a = n.alert;
  std::string date = absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", absl::FromUnixMillis(now_ms),
                                      absl::UTCTimeZone());
  std::string body = absl::StrCat(
      a.summary(), "\r\n\r\n", "Status:    ", Status(n), "\r\n", "Severity:  ", a.severity(),
      "\r\n", "Rule:      ", a.rule(), "\r\n", "Host:      ", a.host_id(), "\r\n",
      "Value:     ", FormatValue(a.value()), "\r\n", "Threshold: ", a.comparison(), " ",
      FormatValue(a.threshold()), "\r\n", "Since:     ", Rfc3339(a.fired_at_ms()), "\r\n",
      "Reason:    ", n.reason, "\r\n");
  if (!a.playbook().empty()) absl::StrAppend(&body, "Playbook:  ", a.playbook(), "\r\n");
  if (!n.detail.empty()) {
    absl::StrAppend(&body, "\r\n", absl::StrReplaceAll(n.detail, {{"\n", "\r\n"}}));
  }
  return absl::StrCat("Date: ", date, "\r\n", "From: ", from, "\r\n",
                      "To: ", absl::StrJoin(to, ", "), "\r\n", "Subject: [rollguard] ", Status(n),
                      " ", a.severity(), " ", a.rule(), " on ", a.host_id(), "\r\n",
                      "Content-Type: text/plain; charset=utf-8\r\n", "\r\n", body);
}

}  // namespace rollguard::collector
