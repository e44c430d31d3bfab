// rollguard export: a range of history to a file, every point of every
// series (of the hosts and metric asked for), oldest first per series, as
// JSON lines, CSV or the Prometheus text format with timestamps. The runbook
// kept metrics_YYYYMMDD.json by hand; this is that, for the whole fleet.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "cli/client.h"
#include "cli/subcommands/subcommands.h"
#include "common/duration.h"
#include "common/labels.h"
#include "common/prometheus_text.h"
#include "common/status_macros.h"

namespace rollguard::cli {
namespace {

// Points per QueryHistory call: ~1.5 MB answers, under gRPC's 4 MB.
constexpr uint32_t kDefaultPage = 100000;

struct ExportArgs {
  std::string since = "24h";
  std::string until = "now";
  std::vector<std::string> hosts;
  std::string metric;
  std::string format = "jsonl";
  uint32_t page = kDefaultPage;  // hidden --page-points: tests walk many pages
};

std::string Rfc3339(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

// RFC 4180: quoted when it holds a comma, a quote or a line break.
std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Prometheus names: [a-zA-Z_:][a-zA-Z0-9_:]* (labels without ':').
std::string PromName(const std::string& s, bool label) {
  std::string out = s.empty() ? "_" : s;
  for (size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (c == ':' && !label) || (i > 0 && c >= '0' && c <= '9');
    if (!ok) out[i] = '_';
  }
  return out;
}

std::string PromValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return nlohmann::json(v).dump();  // shortest text that reads back exactly
}

class Writer {
 public:
  explicit Writer(std::string format) : format_(std::move(format)) {
    if (format_ == "csv") std::fputs("time,timestamp_ms,host,metric,labels,value\n", stdout);
  }

  void Series(const rollguard::v1::SeriesPoints& s, const std::vector<rollguard::v1::Point>& pts) {
    std::string host;
    Labels labels;
    for (const auto& [k, v] : s.labels()) {
      if (k == "host") {
        host = v;
      } else {
        labels[k] = v;
      }
    }
    if (format_ == "jsonl") {
      nlohmann::ordered_json line;
      for (const auto& p : pts) {
        line["time"] = Rfc3339(p.timestamp_ms());
        line["timestamp_ms"] = p.timestamp_ms();
        line["host"] = host;
        line["metric"] = s.metric();
        line["labels"] = labels;
        line["value"] = p.value();
        std::string text =
            line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
        std::fputs(text.c_str(), stdout);
        std::fputc('\n', stdout);
      }
    } else if (format_ == "csv") {
      std::vector<std::string> kv;
      for (const auto& [k, v] : labels) kv.push_back(absl::StrCat(k, "=", v));
      const std::string prefix = absl::StrCat(",", CsvField(host), ",", CsvField(s.metric()), ",",
                                              CsvField(absl::StrJoin(kv, ";")), ",");
      for (const auto& p : pts) {
        std::printf("%s,%lld%s%s\n", Rfc3339(p.timestamp_ms()).c_str(),
                    static_cast<long long>(p.timestamp_ms()), prefix.c_str(),
                    PromValue(p.value()).c_str());
      }
    } else {  // prometheus
      std::string name = PromName(s.metric(), false);
      std::vector<std::string> kv;
      for (const auto& [k, v] : s.labels()) {
        kv.push_back(absl::StrCat(PromName(k, true), "=\"", EscapeLabelValue(v), "\""));
      }
      const std::string series = absl::StrCat(name, "{", absl::StrJoin(kv, ","), "}");
      for (const auto& p : pts) {
        std::printf("%s %s %lld\n", series.c_str(), PromValue(p.value()).c_str(),
                    static_cast<long long>(p.timestamp_ms()));
      }
    }
  }

 private:
  const std::string format_;
};

// Every point of one series in [start, end), oldest first: pages of the
// newest kPage, walking back.
absl::StatusOr<std::vector<rollguard::v1::Point>> SeriesPointsIn(
    AdminClient& client, const std::string& host, const rollguard::v1::SeriesPoints& s,
    int64_t start, int64_t end, uint32_t page_points) {
  std::vector<std::vector<rollguard::v1::Point>> pages;
  while (end > start) {
    rollguard::v1::QueryHistoryRequest req;
    req.set_host_id(host);
    req.set_metric(s.metric());
    *req.mutable_label_matchers() = s.labels();
    req.set_start_ms(start);
    req.set_end_ms(end);
    req.set_limit(page_points);
    ASSIGN_OR_RETURN(rollguard::v1::QueryHistoryResponse resp, client.QueryHistory(req));
    std::vector<rollguard::v1::Point> page;
    for (const auto& got : resp.series()) {
      // Matchers select supersets too: only the series asked for.
      if (got.labels_size() != s.labels_size()) continue;
      page.assign(got.points().begin(), got.points().end());
    }
    if (page.empty()) break;
    end = page.front().timestamp_ms();
    const bool more = page.size() >= page_points;
    pages.push_back(std::move(page));
    if (!more) break;
  }
  std::vector<rollguard::v1::Point> out;
  for (auto it = pages.rbegin(); it != pages.rend(); ++it) {
    out.insert(out.end(), it->begin(), it->end());
  }
  return out;
}

int RunExport(const GlobalOptions& g, const ExportArgs& a) {
  const absl::Time now = absl::Now();
  auto since = ParseTimeFlag(a.since, now);
  if (!since.ok()) {
    return ReportError(
        absl::InvalidArgumentError(absl::StrCat("--since: ", since.status().message())));
  }
  auto until = ParseTimeFlag(a.until, now);
  if (!until.ok()) {
    return ReportError(
        absl::InvalidArgumentError(absl::StrCat("--until: ", until.status().message())));
  }
  if (*until <= *since)
    return ReportError(absl::InvalidArgumentError("--since must be before --until"));
  const int64_t start = absl::ToUnixMillis(*since);
  const int64_t end = absl::ToUnixMillis(*until) + (a.until == "now" ? 1 : 0);

  auto client = MakeClient(g);
  if (!client.ok()) return ReportError(client.status());
  std::vector<std::string> hosts = a.hosts;
  if (hosts.empty()) {
    auto listed = (*client)->ListHosts();
    if (!listed.ok()) return ReportError(listed.status());
    for (const auto& h : listed->hosts()) hosts.push_back(h.host_id());
  }
  const bool progress = isatty(STDERR_FILENO) != 0;
  Writer writer(a.format);
  size_t series_done = 0, points = 0;
  for (size_t i = 0; i < hosts.size(); ++i) {
    rollguard::v1::ListSeriesRequest lreq;
    lreq.set_host_id(hosts[i]);
    lreq.set_metric(a.metric);
    auto series = (*client)->Call(&AdminClient::Stub::ListSeries, lreq);
    if (!series.ok()) return ReportError(series.status());
    for (const auto& s : series->series()) {
      auto pts = SeriesPointsIn(**client, hosts[i], s, start, end, std::max<uint32_t>(1, a.page));
      if (!pts.ok()) return ReportError(pts.status());
      writer.Series(s, *pts);
      ++series_done;
      points += pts->size();
    }
    if (progress) {
      std::fprintf(stderr, "\rexport: %zu/%zu hosts, %zu series, %zu points", i + 1, hosts.size(),
                   series_done, points);
    }
  }
  std::fflush(stdout);
  std::fprintf(stderr, "%sexported %zu points of %zu series from %zu host(s)\n",
               progress ? "\n" : "", points, series_done, hosts.size());
  return 0;
}

}  // namespace

void RegisterExportSubcommand(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<ExportArgs>();
  auto* cmd = app.add_subcommand(
      "export", "Write stored history to stdout: every point of every series in a range");
  cmd->add_option("--since", args->since,
                  "start: a duration ago (24h, 7d), Unix seconds or RFC 3339")
      ->capture_default_str();
  cmd->add_option("--until", args->until, "end, in the same forms")->capture_default_str();
  cmd->add_option("--host", args->hosts, "only this host (repeatable; default every host)");
  cmd->add_option("--metric", args->metric, "only this metric, e.g. cpu_usage");
  cmd->add_option("--format", args->format,
                  "jsonl (a JSON object a point), csv, or prometheus (text format, with "
                  "timestamps)")
      ->check(CLI::IsMember({"jsonl", "csv", "prometheus"}))
      ->capture_default_str();
  cmd->add_option("--page-points", args->page, "points per call")->group("");  // for tests
  cmd->footer("Example: rollguard export --since 24h > metrics_$(date +%Y%m%d).jsonl");
  cmd->callback([&global, args, exit_code] { *exit_code = RunExport(global, *args); });
}

}  // namespace rollguard::cli
