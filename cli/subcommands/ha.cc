// rollguard ha status: the collector pair as etcd sees it: who leads, at
// which epoch, how long its lease has left, and each member's lag (how long
// before its last heartbeat it had last stored a batch of samples).
#include <cstdio>
#include <string>

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

void PrintStatus(const rollguard::v1::HaStatus& s) {
  if (s.leader().empty()) {
    std::printf(
        "cluster %s: NO LEADER right now (an election is under way, or etcd is "
        "unreachable); nothing is dispatched or notified until one leads\n",
        s.cluster().c_str());
  } else {
    std::printf("cluster %s: leader %s at %s, epoch %lld, lease %lld s left\n", s.cluster().c_str(),
                s.leader().c_str(), s.leader_address().c_str(), static_cast<long long>(s.epoch()),
                static_cast<long long>(s.lease_ttl_left_s()));
  }
  Table t({"member", "address", "role", "heartbeat", "lag"});
  const absl::Time now = absl::FromUnixMillis(s.now_ms());
  for (const rollguard::v1::HaMember& m : s.members()) {
    t.AddRow({m.name(), m.address(), m.leader() ? "leader" : "follower",
              FormatAgo(m.heartbeat_ms(), now), Lag(m)});
  }
  std::fputs(t.Render().c_str(), stdout);
  std::printf("(answered by %s)\n", s.answered_by().c_str());
}

}  // namespace

void RegisterHaSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto* ha = app.add_subcommand("ha", "High availability: the collector pair and its leader");
  ha->require_subcommand(1);
  auto* status =
      ha->add_subcommand("status",
                         "Members, the leader, its epoch and lease time left, each member's lag "
                         "(give every member: --collector a:7700,b:7700)");
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
    PrintStatus(*resp);
  });
}

}  // namespace rollguard::cli
