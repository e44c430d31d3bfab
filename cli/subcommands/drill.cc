// rollguard drill PLAYBOOK --host H (or --all-playbooks): the runbook's
// RollbackTester on a real host. Runs the playbook as a drill, then the
// host's verify playbook, then undoes the playbook's file changes, and
// reports PASS or FAIL against the scenario's time budget. Drills are marked
// as drills everywhere: the collector opens no incident for the alerts a
// drill causes.
#include <google/protobuf/struct.pb.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/client.h"
#include "cli/command_watch.h"
#include "cli/subcommands/subcommands.h"
#include "common/duration.h"

namespace rollguard::cli {
namespace {

struct DrillArgs {
  std::string playbook;
  std::string host;
  bool all_playbooks = false;
};

// The runbook's time budgets per scenario (critical < 5 min, feature
// rollback < 1 min, ...); 5 min for anything else.
absl::Duration BudgetFor(const std::string& playbook) {
  if (playbook == "disable-soccer") return absl::Minutes(1);
  if (playbook == "reduce-load") return absl::Minutes(15);
  if (playbook == "degrade-gracefully") return absl::Minutes(30);
  if (playbook == "recover-data") return absl::Minutes(20);
  return absl::Minutes(5);
}

struct DrillResult {
  bool pass = false;
  absl::Duration took;
  std::string detail;
};

absl::StatusOr<rollguard::v1::CommandRecord> RunOne(AdminClient& client, const std::string& host,
                                                    const std::string& playbook, bool show) {
  rollguard::v1::StartRolloutRequest req;
  req.set_playbook(playbook);
  req.add_host_ids(host);
  req.set_drill(true);
  req.set_requested_by(CurrentUser());
  req.set_reason("drill");
  auto started = client.Call(&AdminClient::Stub::StartRollout, req);
  if (!started.ok()) return started.status();
  auto done = WatchRollout(client, started->id(), show);
  if (!done.ok()) return done.status();
  if (done->commands().empty()) return absl::InternalError("the drill's rollout sent no command");
  return done->commands(0);
}

DrillResult Drill(AdminClient& client, const std::string& host, const std::string& playbook,
                  bool has_verify, bool show) {
  DrillResult r;
  absl::Time t0 = absl::Now();
  auto run = RunOne(client, host, playbook, show);
  if (!run.ok()) {
    r.detail = std::string(run.status().message());
    return r;
  }
  std::vector<std::string> notes;
  bool ok = run->state() == rollguard::v1::SUCCEEDED;
  notes.push_back(ok ? "ran" : absl::StrCat("failed: ", run->error()));
  if (ok && has_verify && playbook != "verify") {
    auto verify = RunOne(client, host, "verify", show);
    ok = verify.ok() && verify->state() == rollguard::v1::SUCCEEDED;
    notes.push_back(ok ? "verified"
                       : absl::StrCat("verification failed: ",
                                      verify.ok() ? verify->error() : verify.status().message()));
  }
  r.took = absl::Now() - t0;
  // Put the files back even when the drill failed: a drill leaves no trace.
  rollguard::v1::UndoCommandRequest undo;
  undo.set_command_id(run->command().id());
  undo.set_requested_by(CurrentUser());
  undo.set_reason("drill: undo");
  undo.set_drill(true);
  auto queued = client.Call(&AdminClient::Stub::UndoCommand, undo);
  absl::StatusOr<rollguard::v1::CommandRecord> undone =
      queued.ok() ? WatchCommand(client, queued->command().id(), false) : queued.status();
  bool undo_ok = undone.ok() && undone->state() == rollguard::v1::SUCCEEDED;
  notes.push_back(
      undo_ok ? (undone->steps().empty() ? "undone" : undone->steps(0).output().substr(0, 120))
              : absl::StrCat("undo failed: ",
                             undone.ok() ? undone->error() : undone.status().message()));
  absl::Duration budget = BudgetFor(playbook);
  r.pass = ok && undo_ok && r.took < budget;
  r.detail = absl::StrCat(absl::StrJoin(notes, "; "), r.took >= budget ? "; over budget" : "");
  return r;
}

int RunDrill(const GlobalOptions& g, const DrillArgs& a) {
  auto client = MakeClient(g);
  if (!client.ok()) return ReportError(client.status());
  auto hosts = (*client)->ListHosts();
  if (!hosts.ok()) return ReportError(hosts.status());
  const rollguard::v1::HostStatus* host = nullptr;
  for (const auto& h : hosts->hosts()) {
    if (h.host_id() == a.host) host = &h;
  }
  if (host == nullptr) {
    return ReportError(absl::NotFoundError(absl::StrCat("unknown host '", a.host, "'")));
  }
  std::vector<std::string> available(host->playbooks().begin(), host->playbooks().end());
  const bool has_verify =
      std::find(available.begin(), available.end(), "verify") != available.end();
  std::vector<std::string> playbooks;
  if (a.all_playbooks) {
    // Every playbook but the checklist itself and the ones that only stop.
    for (const auto& p : available) {
      if (p != "verify" && p != "emergency-stop") playbooks.push_back(p);
    }
  } else if (!a.playbook.empty()) {
    playbooks.push_back(a.playbook);
  } else {
    return ReportError(absl::InvalidArgumentError("name a playbook, or pass --all-playbooks"));
  }
  if (playbooks.empty()) {
    return ReportError(absl::FailedPreconditionError(
        absl::StrCat("host '", a.host, "' announced no playbooks (is its agent connected?)")));
  }
  const bool table = g.format() == OutputFormat::kTable;
  google::protobuf::ListValue json;
  int failed = 0;
  for (const std::string& p : playbooks) {
    if (table)
      std::printf("drill %s on %s (budget %s)\n", p.c_str(), a.host.c_str(),
                  FormatDurationShort(BudgetFor(p)).c_str());
    DrillResult r = Drill(**client, a.host, p, has_verify, table);
    failed += !r.pass;
    if (table) {
      std::printf("%s %s: %s in %.1fs of %s (%s)\n", r.pass ? "PASS" : "FAIL", p.c_str(),
                  a.host.c_str(), absl::ToDoubleSeconds(r.took),
                  FormatDurationShort(BudgetFor(p)).c_str(), r.detail.c_str());
    }
    auto& row = *json.add_values()->mutable_struct_value()->mutable_fields();
    row["playbook"].set_string_value(p);
    row["host"].set_string_value(a.host);
    row["result"].set_string_value(r.pass ? "PASS" : "FAIL");
    row["seconds"].set_number_value(absl::ToDoubleSeconds(r.took));
    row["budgetSeconds"].set_number_value(absl::ToDoubleSeconds(BudgetFor(p)));
    row["detail"].set_string_value(r.detail);
  }
  if (!table) {
    if (!PrintJson(json).ok()) return 1;
  } else if (playbooks.size() > 1) {
    std::printf("%zu drill(s): %zu passed, %d failed\n", playbooks.size(),
                playbooks.size() - static_cast<size_t>(failed), failed);
  }
  return failed == 0 ? 0 : kExitRunFailed;
}

}  // namespace

void RegisterDrillSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<DrillArgs>();
  auto* drill = app.add_subcommand(
      "drill",
      "Rehearse a playbook on a real host: run it, verify, undo its file changes, and report "
      "PASS/FAIL against the runbook's time budget (no incident, no escalation)");
  drill->add_option("playbook", args->playbook, "the playbook to rehearse");
  drill->add_option("--host", args->host, "the host")->required();
  drill->add_flag("--all-playbooks", args->all_playbooks,
                  "every playbook the host's agent has (but verify and emergency-stop)");
  drill->callback([&global, args, exit_code] { *exit_code = RunDrill(global, *args); });
}

}  // namespace rollguard::cli
