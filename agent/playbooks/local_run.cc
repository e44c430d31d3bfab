#include "agent/playbooks/local_run.h"

#include <cstdio>
#include <random>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace rollguard::agent {

std::string NewCommandId() {
  std::random_device rd;
  return absl::StrFormat("local-%s-%04x",
                         absl::FormatTime("%Y%m%dT%H%M%S", absl::Now(), absl::UTCTimeZone()),
                         rd() & 0xffff);
}

int RunPlaybookLocally(PlaybookRunner& runner, const std::string& playbook, bool dry_run) {
  if (runner.config().Find(playbook) == nullptr) {
    auto refused = runner.Run(playbook, "", dry_run);  // the runner words the refusal
    std::fprintf(stderr, "rollguard-agent: %s\n", std::string(refused.status().message()).c_str());
    return 2;
  }
  std::string id = NewCommandId();
  std::printf("%s %s as command %s\n", dry_run ? "planning" : "running", playbook.c_str(),
              id.c_str());
  auto result = runner.Run(playbook, id, dry_run, [](const StepResult& s, int total) {
    if (s.status == StepOutcome::kRunning) return;  // printed once it ends
    std::printf("  [%d/%d] %-8s %-40s %6lldms  %s\n", s.index, total,
                std::string(Name(s.status)).c_str(), s.name.c_str(),
                static_cast<long long>(s.duration_ms), s.output.c_str());
    std::fflush(stdout);
  });
  if (!result.ok()) {
    std::fprintf(stderr, "rollguard-agent: %s\n", std::string(result.status().message()).c_str());
    return 2;
  }
  if (result->ok) {
    std::printf("%s %s in %lldms%s\n", playbook.c_str(), dry_run ? "planned" : "succeeded",
                static_cast<long long>(result->duration_ms),
                dry_run ? "" : absl::StrFormat("; undo with: rollguard-agent undo %s", id).c_str());
    return 0;
  }
  std::printf("%s FAILED: %s\n", playbook.c_str(), result->error.c_str());
  return 1;
}

int PrintPlaybooks(const PlaybookConfig& config) {
  for (const auto& p : config.playbooks) {
    std::printf("%s%s%s\n", p.name.c_str(), p.description.empty() ? "" : " - ",
                p.description.c_str());
    for (size_t i = 0; i < p.steps.size(); ++i) {
      std::printf("  %zu. %s\n", i + 1, p.steps[i].Describe().c_str());
    }
  }
  return 0;
}

}  // namespace rollguard::agent
