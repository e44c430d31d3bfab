#include "common/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace rollguard {
namespace {

TEST(PrometheusTextTest, FamiliesSamplesAndEscaping) {
  PrometheusText p;
  p.Family("rollguard_notifications_sent_total", "counter", "Delivered.\nBy receiver \\ type.");
  p.Sample(3, {{"receiver", "ops \"discord\"\n"}, {"type", "a\\b"}});
  p.Family("rollguard_head_memory_bytes", "gauge", "Bytes.");
  p.Sample(1.5);
  p.Sample(std::numeric_limits<double>::quiet_NaN(), {{"k", "v"}});
  p.Sample(std::numeric_limits<double>::infinity());
  EXPECT_EQ(
      p.text(),
      "# HELP rollguard_notifications_sent_total Delivered.\\nBy receiver \\\\ type.\n"
      "# TYPE rollguard_notifications_sent_total counter\n"
      "rollguard_notifications_sent_total{receiver=\"ops \\\"discord\\\"\\n\",type=\"a\\\\b\"} "
      "3\n"
      "# HELP rollguard_head_memory_bytes Bytes.\n"
      "# TYPE rollguard_head_memory_bytes gauge\n"
      "rollguard_head_memory_bytes 1.5\n"
      "rollguard_head_memory_bytes{k=\"v\"} NaN\n"
      "rollguard_head_memory_bytes +Inf\n");
}

}  // namespace
}  // namespace rollguard
