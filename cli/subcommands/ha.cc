// rollguard ha status: the collector pair as etcd sees it: who leads, at
// which epoch, how long its lease has left, and each member's lag (how long
// before its last heartbeat it had last stored a batch of samples).
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cli/client.h"
#include "cli/subcommands/subcommands.h"

namespace rollguard::cli {
namespace {

std::string Lag(const rollguard::v1::HaMember& m) {
  if (m.last_stored_ms() == 0) return "no samples yet";
  return absl::StrFormat("%.1f s",
                         static_cast<double>(m.heartbeat_ms() - m.last_stored_ms()) / 1000.0);
}

// Returns 1 when the pair is not in a state to fail over (for scripts).
int PrintStatus(const rollguard::v1::HaStatus& s) {
  if (!s.etcd_error().empty()) {
    std::printf(
        "etcd UNREACHABLE from member %s (%s acting): %s\n"
        "Nobody acts once the leader's lease runs out; both members keep storing "
        "samples and act again once etcd is back.\n",
        s.answered_by().c_str(), s.answered_by_acting() ? "still" : "not", s.etcd_error().c_str());
    return 1;
  }
  if (s.leader().empty()) {
    std::printf(
        "cluster %s: NO LEADER right now (an election is under way, or etcd is "
        "unreachable); nothing is dispatched or notified until one leads\n",
        s.cluster().c_str());
  } else {
    const std::string lease =
        s.lease_ttl_left_s() > 0
            ? absl::StrFormat("lease %d s left", s.lease_ttl_left_s())
            : "its lease has run out: it is NOT acting (a new leader is being chosen)";
    std::printf("cluster %s: leader %s at %s, epoch %lld, %s\n", s.cluster().c_str(),
                s.leader().c_str(), s.leader_address().c_str(), static_cast<long long>(s.epoch()),
                lease.c_str());
  }
  Table t({"member", "address", "role", "heartbeat", "ingest lag"});
  const absl::Time now = absl::FromUnixMillis(s.now_ms());
  int alive = 0;
  for (const rollguard::v1::HaMember& m : s.members()) {
    // Heartbeats are every second: a member silent for 3 s is likely gone
    // (its key leaves etcd when its lease runs out).
    const bool silent = s.now_ms() - m.heartbeat_ms() > 3000;
    alive += !silent;
    t.AddRow({m.name(), m.address(),
              absl::StrCat(m.leader() ? "leader" : "follower", silent ? " (SILENT)" : ""),
              FormatAgo(m.heartbeat_ms(), now), Lag(m)});
  }
  std::fputs(t.Render().c_str(), stdout);
  std::printf(
      "(answered by %s; heartbeat: when the member last wrote to etcd; ingest lag: how "
      "long before that it last stored samples)\n",
      s.answered_by().c_str());
  if (alive < 2) {
    std::printf("WARNING: %d live member(s): no failover is possible until another one runs\n",
                alive);
    return 1;
  }
  return s.leader().empty() || s.lease_ttl_left_s() <= 0 ? 1 : 0;
}

}  // namespace

void RegisterHaSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto* ha = app.add_subcommand("ha", "High availability: the collector pair and its leader");
  ha->require_subcommand(1);
  auto* status =
      ha->add_subcommand("status",
                         "Members, the leader, its epoch and lease time left, each member's ingest "
                         "lag; exit 1 when the pair cannot fail over (etcd unreachable, no "
                         "leader, or one member left). Give every member: --collector "
                         "a:7700,b:7701");
  status->callback([&global, exit_code] {
    auto client = MakeClient(global);
    if (!client.ok()) {
      *exit_code = ReportError(client.status());
      return;
    }
    auto resp =
        (*client)->Call(&AdminClient::Stub::GetHaStatus, rollguard::v1::GetHaStatusRequest());
    if (!resp.ok()) {
      *exit_code = ReportError(resp.status());
      return;
    }
    if (global.format() == OutputFormat::kJson) {
      *exit_code = PrintJson(*resp).ok() ? 0 : 1;
      return;
    }
    *exit_code = PrintStatus(*resp);
  });
}

}  // namespace rollguard::cli
