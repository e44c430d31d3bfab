// rollguard hosts: the fleet at a glance.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/client.h"
#include "cli/subcommands/subcommands.h"
#include "common/duration.h"

namespace rollguard::cli {
namespace {

// The agent's clock against the collector's at its hello: "ok" within a
// second, else how far ahead (+) or behind (-).
std::string Skew(const rollguard::v1::HostStatus& h) {
  if (!h.has_clock_skew_ms()) return "-";
  const int64_t ms = h.clock_skew_ms();
  if (ms > -1000 && ms < 1000) return "ok";
  return absl::StrCat(ms > 0 ? "+" : "-",
                      FormatDurationShort(absl::Milliseconds(ms > 0 ? ms : -ms)));
}

std::string Percent(bool has, double v) { return has ? FormatValue(v) + "%" : "-"; }

int RunHosts(const GlobalOptions& g) {
  auto client = MakeClient(g);
  if (!client.ok()) return ReportError(client.status());
  auto resp = (*client)->ListHosts();
  if (!resp.ok()) return ReportError(resp.status());
  if (g.format() == OutputFormat::kJson) {
    auto s = PrintJson(*resp);
    return s.ok() ? 0 : ReportError(s);
  }
  if (resp->hosts().empty()) {
    std::printf("no hosts yet: start a rollguard-agent pointed at %s\n", g.collector.c_str());
    return 0;
  }
  Table t({"host", "status", "last seen", "cpu", "memory", "disk", "bot", "bot mem", "clock",
           "labels", "agent"});
  absl::Time now = absl::Now();
  int connected = 0;
  for (const auto& h : resp->hosts()) {
    connected += h.connected() ? 1 : 0;
    std::string bot = h.has_bot_up() ? (h.bot_up() ? "up" : "DOWN") : "-";
    std::string bot_mem = h.has_bot_memory_mb() ? FormatValue(h.bot_memory_mb()) + " MB" : "-";
    std::vector<std::string> labels;
    for (const auto& [k, v] :
         std::map<std::string, std::string>(h.labels().begin(), h.labels().end())) {
      labels.push_back(absl::StrCat(k, "=", v));
    }
    std::string status = h.connected() ? "connected" : "offline";
    if (h.dropped_samples() > 0) absl::StrAppend(&status, " (dropped ", h.dropped_samples(), ")");
    if (h.samples_refused() > 0) {
      absl::StrAppend(&status, " (refused ", h.samples_refused(), ": see -o json)");
    }
    t.AddRow({h.host_id(), status, FormatAgo(h.last_seen_ms(), now),
              Percent(h.has_cpu_usage(), h.cpu_usage()),
              Percent(h.has_memory_usage(), h.memory_usage()),
              Percent(h.has_disk_usage(), h.disk_usage()), bot, bot_mem, Skew(h),
              absl::StrJoin(labels, ","), h.agent_version()});
  }
  std::fputs(t.Render().c_str(), stdout);
  std::printf("%d host(s), %d connected\n", resp->hosts_size(), connected);
  return 0;
}

int RunRemoveHost(const GlobalOptions& g, const std::string& host) {
  auto client = MakeClient(g);
  if (!client.ok()) return ReportError(client.status());
  rollguard::v1::RemoveHostRequest req;
  req.set_host_id(host);
  auto resp = (*client)->Call(&AdminClient::Stub::RemoveHost, req);
  if (!resp.ok()) return ReportError(resp.status());
  if (g.format() == OutputFormat::kJson) return PrintJson(*resp).ok() ? 0 : 1;
  std::printf("host %s removed (%u alert(s) resolved)\n", host.c_str(), resp->alerts_resolved());
  return 0;
}

}  // namespace

void RegisterHostsSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "hosts",
      "List every host the collector knows: connected or offline, last seen, labels, "
      "latest cpu/memory/disk and bot status");
  auto host = std::make_shared<std::string>();
  auto* rm = cmd->add_subcommand(
      "rm",
      "Forget a decommissioned host: its record and its alerts (host_offline stops firing). "
      "Refused while its agent is connected; its history stays until retention.\n"
      "Example: rollguard hosts rm bot-eu-old");
  rm->add_option("host", *host, "host id")->required();
  rm->callback([&global, host, exit_code] { *exit_code = RunRemoveHost(global, *host); });
  cmd->callback([&global, rm, exit_code] {
    if (!rm->parsed()) *exit_code = RunHosts(global);
  });
}

}  // namespace rollguard::cli
