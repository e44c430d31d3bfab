#include "collector/notify/notification.h"

namespace rollguard::collector {

const char* NotifyKindName(NotifyKind k) {
  switch (k) {
    case NotifyKind::kNone:
      return "none";
    case NotifyKind::kFiring:
      return "firing";
    case NotifyKind::kResolved:
      return "resolved";
    case NotifyKind::kRepeat:
      return "repeat";
    case NotifyKind::kFlapping:
      return "flapping";
    case NotifyKind::kEscalation:
      return "escalation";
  }
  return "none";
}

}  // namespace rollguard::collector
