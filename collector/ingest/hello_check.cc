#include "collector/ingest/hello_check.h"

#include "absl/strings/str_cat.h"
#include "common/labels.h"

namespace rollguard::collector {
namespace {

absl::Status Refuse(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("hello: ", why));
}

}  // namespace

absl::Status CheckHello(const rollguard::v1::Hello& hello, const IngestLimits& limits) {
  const std::string& host = hello.host_id();
  if (host.empty() || host.size() > kMaxHostIdLength) {
    return Refuse(absl::StrCat("host_id must be 1-", kMaxHostIdLength, " characters"));
  }
  if (HasControlCharacter(host)) return Refuse("host_id contains a control character");
  if (static_cast<size_t>(hello.labels_size()) > limits.max_labels_per_series) {
    return Refuse(absl::StrCat(hello.labels_size(), " host labels exceeds the limit of ",
                               limits.max_labels_per_series));
  }
  for (const auto& [k, v] : hello.labels()) {
    if (k.size() > limits.max_name_length || !IsValidLabelName(k)) {
      return Refuse(absl::StrCat("label name '", k.substr(0, 64), "' is invalid"));
    }
    if (v.size() > limits.max_label_value_length || HasControlCharacter(v)) {
      return Refuse(absl::StrCat("label '", k, "': the value is longer than ",
                                 limits.max_label_value_length,
                                 " bytes or contains a control character"));
    }
  }
  if (static_cast<size_t>(hello.playbooks_size()) > kMaxAnnouncedPlaybooks) {
    return Refuse(absl::StrCat(hello.playbooks_size(), " playbooks exceeds the limit of ",
                               kMaxAnnouncedPlaybooks));
  }
  for (const std::string& p : hello.playbooks()) {
    if (p.empty() || p.size() > limits.max_name_length || HasControlCharacter(p)) {
      return Refuse("a playbook name is empty, too long or contains a control character");
    }
  }
  if (hello.agent_version().size() > limits.max_name_length ||
      hello.instance_id().size() > limits.max_name_length) {
    return Refuse("agent_version or instance_id is too long");
  }
  return absl::OkStatus();
}

}  // namespace rollguard::collector
