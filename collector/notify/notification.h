// What the notifier sends: one alert's state, why, and the host's labels for
// routing. Its own type, so notify/ depends on the alert message only, not on
// the engine that produced it (alerting/ sits above notify/).
#pragma once

#include <string>

#include "common/labels.h"
#include "rollguard/v1/alerts.pb.h"

namespace rollguard::collector {

// kEscalation: an incident climbed the escalation ladder (not from the engine).
enum class NotifyKind { kNone, kFiring, kResolved, kRepeat, kFlapping, kEscalation };
const char* NotifyKindName(NotifyKind k);

struct Notification {
  rollguard::v1::Alert alert;
  NotifyKind kind = NotifyKind::kNone;
  std::string reason;
  Labels host_labels;
  // Longer text sent along (an escalation's evidence and timeline).
  std::string detail;
};

}  // namespace rollguard::collector
