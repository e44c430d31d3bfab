// `rollguard-agent run|playbooks`: playbooks on the box, printed for a person.
#pragma once

#include <string>

#include "agent/playbooks/runner.h"

namespace rollguard::agent {

// Runs `playbook` with a fresh command id, printing each step as it ends.
// Exit code: 0 all steps ok, 1 a step failed, 2 refused.
int RunPlaybookLocally(PlaybookRunner& runner, const std::string& playbook, bool dry_run);
int PrintPlaybooks(const PlaybookConfig& config);
std::string NewCommandId();

}  // namespace rollguard::agent
