#include "agent/scrape/prometheus_text_parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "agent/scrape/scrape_readings.h"

namespace rollguard::agent {
namespace {

struct Parsed {
  std::vector<ScrapedSample> samples;
  std::vector<std::string> errors;
};

Parsed Parse(absl::string_view text) {
  Parsed p;
  ParsePrometheusText(
      text, [&](ScrapedSample&& s) { p.samples.push_back(std::move(s)); },
      [&](size_t line, const absl::Status& s) {
        p.errors.push_back(absl::StrCat(line, ": ", s.message()));
      });
  return p;
}

// What prometheus_client (Python) serves for a counter, a gauge and a histogram.
constexpr char kPythonClientPage[] = R"(# HELP discord_commands_total Commands handled.
# TYPE discord_commands_total counter
discord_commands_total{command="mlb",guild="1234567890123456789"} 42.0
discord_commands_created 1.7123456789e+09
# HELP bot_latency_seconds Gateway latency.
# TYPE bot_latency_seconds gauge
bot_latency_seconds 0.128
# TYPE soccer_fetch_seconds histogram
soccer_fetch_seconds_bucket{le="0.5"} 3.0
soccer_fetch_seconds_bucket{le="+Inf"} 4.0
soccer_fetch_seconds_sum 1.75
soccer_fetch_seconds_count 4.0
)";

TEST(PrometheusTextParserTest, ReadsWhatPrometheusClientServes) {
  Parsed p = Parse(kPythonClientPage);
  EXPECT_TRUE(p.errors.empty()) << p.errors[0];
  ASSERT_EQ(p.samples.size(), 7u);
  EXPECT_EQ(p.samples[0].name, "discord_commands_total");
  EXPECT_EQ(p.samples[0].labels.at("guild"), "1234567890123456789");
  EXPECT_EQ(p.samples[0].value, 42);
  EXPECT_EQ(p.samples[1].value, 1.7123456789e+09);
  EXPECT_EQ(p.samples[4].labels.at("le"), "+Inf");
  EXPECT_EQ(p.samples[6].name, "soccer_fetch_seconds_count");
}

TEST(PrometheusTextParserTest, EscapesSpecialValuesTimestampsAndSpacing) {
  Parsed p = Parse(
      "a{path=\"C:\\\\bot\",msg=\"say \\\"hi\\\"\\n\",} +Inf 1712345678000\r\n"
      "  b   -Inf\n"
      "c\tNaN\n"
      "d{} -1.5e-3\n");
  ASSERT_TRUE(p.errors.empty()) << p.errors[0];
  ASSERT_EQ(p.samples.size(), 4u);
  EXPECT_EQ(p.samples[0].labels.at("path"), "C:\\bot");
  EXPECT_EQ(p.samples[0].labels.at("msg"), "say \"hi\"\n");
  EXPECT_TRUE(std::isinf(p.samples[0].value));
  EXPECT_EQ(p.samples[0].timestamp_ms, 1712345678000);
  EXPECT_EQ(p.samples[1].value, -INFINITY);
  EXPECT_TRUE(std::isnan(p.samples[2].value));
  EXPECT_EQ(p.samples[3].value, -0.0015);
}

TEST(PrometheusTextParserTest, ABadLineIsNamedAndTheRestIsKept) {
  Parsed p = Parse(
      "good 1\n"
      "bad{x=\"unterminated} 1\n"
      "also_bad{x=1} 2\n"
      "dup{a=\"1\",a=\"2\"} 3\n"
      "novalue\n"
      "words here 1\n"
      "trailing 1 2 3\n"
      "good2 2\n");
  ASSERT_EQ(p.samples.size(), 2u);
  EXPECT_EQ(p.samples[1].name, "good2");
  ASSERT_EQ(p.errors.size(), 6u);
  EXPECT_EQ(p.errors[0], "2: a label value has no closing quote");
  EXPECT_EQ(p.errors[1], "3: label x: value must be quoted");
  EXPECT_EQ(p.errors[2], "4: label a given twice");
  EXPECT_EQ(p.errors[3], "5: '' is not a sample value");
  EXPECT_EQ(p.errors[4], "6: 'here' is not a sample value");
  EXPECT_EQ(p.errors[5], "7: unexpected text after the timestamp");
}

TEST(ScrapeReadingsTest, LabelsTheTargetKeepsTheBudgetAndRefusesWhatTheCollectorWould) {
  ScrapeConfig config;
  config.name = "bot";
  config.max_series = 3;
  config.metric_prefix = "bot_";
  std::set<std::string> admitted;
  ScrapeOutcome first = ReadingsFromPage(config,
                                         "up 1\n"
                                         "requests_total{host=\"web\"} 5\n"
                                         "quantile NaN\n"
                                         "a 1\nb 2\nc 3\n",
                                         &admitted);
  EXPECT_EQ(first.samples, 3u);
  EXPECT_EQ(first.series_dropped, 2u);  // b and c: past the budget of 3
  EXPECT_EQ(first.invalid, 1u);         // NaN
  ASSERT_GE(first.readings.size(), 2u);
  EXPECT_EQ(first.readings[0].metric, "bot_up");
  EXPECT_EQ(first.readings[0].labels.at("scrape"), "bot");
  // The page's host label must not pass for the agent's own.
  EXPECT_EQ(first.readings[1].labels.count("host"), 0u);
  EXPECT_EQ(first.readings[1].labels.at("exported_host"), "web");
  // Admitted series keep flowing on the next scrape; new ones still do not.
  ScrapeOutcome second = ReadingsFromPage(config, "up 0\nd 4\na 9\n", &admitted);
  EXPECT_EQ(second.samples, 2u);
  EXPECT_EQ(second.series_dropped, 1u);
}

// From an attacker's review: what would have folded series together, clashed
// with the receiver's __name__, or made one message too big to deliver.
TEST(ScrapeReadingsTest, ReservedClashingAndOversizedLabelsAreRefused) {
  ScrapeConfig config;
  config.name = "bot";
  std::set<std::string> admitted;
  const std::string big(1000, 'x');
  ScrapeOutcome out = ReadingsFromPage(config,
                                       "m{__name__=\"other\"} 1\n"
                                       "m{host=\"a\",exported_host=\"b\"} 1\n"
                                       "m{a=\"" +
                                           big + "\",b=\"" + big + "\",c=\"" + big +
                                           "\"} 1\n"
                                           "ok 1\n",
                                       &admitted);
  EXPECT_EQ(out.invalid, 3u) << out.error;
  EXPECT_EQ(out.samples, 1u);
  EXPECT_EQ(out.error, "m: label __name__ is reserved");
}

}  // namespace
}  // namespace rollguard::agent
