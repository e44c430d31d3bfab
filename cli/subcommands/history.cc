// rollguard history HOST METRIC: the stored points of one metric of one host.
#include <cstdio>
#include <map>

#include "absl/strings/str_cat.h"
#include "cli/client.h"
#include "cli/subcommands/subcommands.h"
#include "common/duration.h"
#include "common/labels.h"

namespace rollguard::cli {
namespace {

struct HistoryArgs {
  std::string host;
  std::string metric;
  std::string since = "1h";
  std::string until = "now";
  std::vector<std::string> labels;
  uint32_t limit = 0;
};

int RunHistory(const GlobalOptions& g, const HistoryArgs& a) {
  absl::Time now = absl::Now();
  auto since = ParseTimeFlag(a.since, now);
  if (!since.ok())
    return ReportError(
        absl::InvalidArgumentError(absl::StrCat("--since: ", since.status().message())));
  auto until = ParseTimeFlag(a.until, now);
  if (!until.ok())
    return ReportError(
        absl::InvalidArgumentError(absl::StrCat("--until: ", until.status().message())));
  if (*until <= *since) {
    return ReportError(absl::InvalidArgumentError("--since must be before --until"));
  }
  rollguard::v1::QueryHistoryRequest req;
  req.set_host_id(a.host);
  req.set_metric(a.metric);
  req.set_start_ms(absl::ToUnixMillis(*since));
  // "now" includes samples stamped this very millisecond.
  req.set_end_ms(absl::ToUnixMillis(*until) + (a.until == "now" ? 1 : 0));
  req.set_limit(a.limit);
  for (const std::string& l : a.labels) {
    auto kv = ParseLabelFlag(l);
    if (!kv.ok()) return ReportError(kv.status());
    (*req.mutable_label_matchers())[kv->first] = kv->second;
  }
  auto client = MakeClient(g);
  if (!client.ok()) return ReportError(client.status());
  auto resp = (*client)->QueryHistory(req);
  if (!resp.ok()) return ReportError(resp.status());
  if (g.format() == OutputFormat::kJson) {
    auto s = PrintJson(*resp);
    return s.ok() ? 0 : ReportError(s);
  }
  bool show_labels = false;
  for (const auto& s : resp->series()) show_labels = show_labels || s.labels_size() > 1;
  Table t(show_labels ? std::vector<std::string>{"time (utc)", "labels", "value"}
                      : std::vector<std::string>{"time (utc)", "value"});
  size_t points = 0;
  for (const auto& s : resp->series()) {
    Labels labels(s.labels().begin(), s.labels().end());
    labels.erase("host");
    for (const auto& p : s.points()) {
      ++points;
      if (show_labels) {
        t.AddRow({FormatTimestamp(p.timestamp_ms()), FormatLabels(labels), FormatValue(p.value())});
      } else {
        t.AddRow({FormatTimestamp(p.timestamp_ms()), FormatValue(p.value())});
      }
    }
  }
  if (points == 0) {
    std::printf("%s on %s: no points between %s and %s\n", a.metric.c_str(), a.host.c_str(),
                FormatTimestamp(absl::ToUnixMillis(*since)).c_str(),
                FormatTimestamp(absl::ToUnixMillis(*until)).c_str());
    return 0;
  }
  std::fputs(t.Render().c_str(), stdout);
  std::printf("%zu point(s) of %s on %s\n", points, a.metric.c_str(), a.host.c_str());
  return 0;
}

}  // namespace

void RegisterHistorySubcommands(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<HistoryArgs>();
  auto* cmd = app.add_subcommand("history", "Show the stored points of one metric of one host");
  cmd->add_option("host", args->host, "host id (see `rollguard hosts`)")->required();
  cmd->add_option("metric", args->metric, "metric name, e.g. cpu_usage, bot_up")->required();
  cmd->add_option("--since", args->since,
                  "start: a duration ago (1h, 30m, 7d), 'now', Unix seconds or RFC 3339")
      ->capture_default_str();
  cmd->add_option("--until", args->until, "end, in the same forms")->capture_default_str();
  cmd->add_option("--label", args->labels, "only series with this label k=v (repeatable)");
  cmd->add_option("--limit", args->limit, "at most this many (newest) points per series");
  cmd->callback([&global, args, exit_code] { *exit_code = RunHistory(global, *args); });
}

}  // namespace rollguard::cli
