// rollguard storage: the collector's storage engine at a glance: memory held
// in the heads against the back-pressure limit, series, sealing and merging,
// bytes on disk, remote-write targets.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/client.h"
#include "cli/subcommands/subcommands.h"

namespace rollguard::cli {

namespace {

std::string Bytes(uint64_t b) {
  if (b >= (uint64_t{1} << 30)) return absl::StrFormat("%.2f GiB", b / double(uint64_t{1} << 30));
  if (b >= (uint64_t{1} << 20)) return absl::StrFormat("%.1f MiB", b / double(uint64_t{1} << 20));
  if (b >= (uint64_t{1} << 10)) return absl::StrFormat("%.1f KiB", b / 1024.0);
  return absl::StrFormat("%u B", b);
}

// A collector before head compression does not report the heads' bytes.
std::string HeadMemory(const rollguard::v1::StorageStats& s) {
  if (s.head_bytes() == 0 && s.head_points() > 0) return "memory not reported";
  return Bytes(s.head_bytes());
}

void PrintStats(const rollguard::v1::StorageStats& s) {
  Table t({"what", "value"});
  const double used = s.head_points_limit() > 0 ? 100.0 * static_cast<double>(s.head_points()) /
                                                      static_cast<double>(s.head_points_limit())
                                                : 0;
  t.AddRow({"series", std::to_string(s.series())});
  t.AddRow({"heads", absl::StrFormat("%u points of %u series (~%s; %.0f%% of the %u-point limit)",
                                     s.head_points(), s.head_series(), HeadMemory(s), used,
                                     s.head_points_limit())});
  t.AddRow({"sealed since start",
            absl::StrFormat("%u points into %u chunks; %u small chunks merged", s.points_sealed(),
                            s.chunks_written(), s.chunks_merged())});
  t.AddRow({"on disk: chunks", Bytes(s.chunk_bytes())});
  t.AddRow({"on disk: sample log", Bytes(s.log_bytes())});
  t.AddRow({"on disk: other", Bytes(s.other_bytes())});
  t.AddRow({"write buffers", Bytes(s.memtable_bytes())});
  if (!s.write_error().empty()) {
    t.AddRow(
        {"writes", absl::StrFormat("FAILING since %s UTC: %s (agents keep their samples and "
                                   "resend; it resumes by itself once the cause is gone)",
                                   FormatTimestamp(s.write_error_since_ms()), s.write_error())});
  } else {
    t.AddRow({"writes", "ok"});
  }
  if (s.quarantined_records() > 0) {
    t.AddRow({"damaged records",
              absl::StrFormat("%u found at open and moved to quarantine (what they held is not "
                              "queryable; the collector log names each)",
                              s.quarantined_records())});
  }
  if (s.failed_writes() > 0) {
    t.AddRow({"failed writes since start", std::to_string(s.failed_writes())});
  }
  for (const rollguard::v1::RemoteWriteStatus& r : s.remote_write()) {
    std::string state = r.pending_batches() == 0
                            ? "caught up"
                            : absl::StrFormat("%u batches waiting, %.0f s behind",
                                              r.pending_batches(), r.lag_seconds());
    if (!r.last_error().empty()) absl::StrAppend(&state, "; FAILING: ", r.last_error());
    t.AddRow({"remote write " + r.name(),
              absl::StrFormat("%s: %u samples sent, %u dropped, %u failed requests; %s", r.url(),
                              r.samples_sent(), r.samples_dropped(), r.requests_failed(), state)});
  }
  std::fputs(t.Render().c_str(), stdout);
}

}  // namespace

void RegisterStorageSubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "storage",
      "The collector's storage engine: head memory against its limit, series, sealing and "
      "merging, bytes on disk");
  cmd->callback([&global, exit_code] {
    auto client = MakeClient(global);
    if (!client.ok()) {
      *exit_code = ReportError(client.status());
      return;
    }
    auto resp = (*client)->Call(&AdminClient::Stub::GetStorageStats,
                                rollguard::v1::GetStorageStatsRequest());
    if (!resp.ok()) {
      *exit_code = ReportError(resp.status());
      return;
    }
    if (global.format() == OutputFormat::kJson) {
      *exit_code = PrintJson(*resp).ok() ? 0 : 1;
      return;
    }
    PrintStats(*resp);
  });
}

}  // namespace rollguard::cli
