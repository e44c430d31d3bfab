#include "collector/notify/payloads.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

namespace rollguard::collector {
namespace {

using google::protobuf::Value;

Value Json(const std::string& s) {
  Value v;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(s, &v).ok()) << s;
  return v;
}
const Value& F(const Value& v, const std::string& k) { return v.struct_value().fields().at(k); }

Notification Make(NotifyKind kind) {
  Notification n;
  auto& a = n.alert;
  a.set_id("bot-1/cpu_usage_critical");
  a.set_host_id("bot-1");
  a.set_rule("cpu_usage_critical");
  a.set_family("cpu_usage");
  a.set_metric("cpu_usage");
  (*a.mutable_labels())["host"] = "bot-1";
  a.set_severity("critical");
  a.set_comparison(">");
  a.set_threshold(90);
  a.set_value(93.25);
  a.set_fired_at_ms(1'800'000'000'000);
  a.set_resolved_at_ms(1'800'000'060'000);
  a.set_summary("cpu_usage is 93.25 (> 90) on bot-1");
  a.set_playbook("full-rollback");
  n.kind = kind;
  n.reason = kind == NotifyKind::kResolved ? "condition cleared" : "cpu_usage 93.25 > 90";
  n.host_labels = {{"env", "prod"}};
  return n;
}

TEST(PayloadsTest, OneLine) {
  EXPECT_EQ(OneLine(Make(NotifyKind::kFiring)),
            "[FIRING] critical cpu_usage_critical on bot-1: cpu_usage is 93.25 (> 90) on bot-1");
  EXPECT_EQ(OneLine(Make(NotifyKind::kResolved)),
            "[RESOLVED] critical cpu_usage_critical on bot-1: cpu_usage is 93.25 (> 90) on bot-1 "
            "(condition cleared)");
}

TEST(PayloadsTest, Webhook) {
  Value v = Json(WebhookPayload(Make(NotifyKind::kRepeat)));
  EXPECT_EQ(F(v, "kind").string_value(), "repeat");
  EXPECT_EQ(F(v, "status").string_value(), "firing");
  EXPECT_EQ(F(F(v, "alert"), "value").number_value(), 93.25);
  EXPECT_EQ(F(F(v, "hostLabels"), "env").string_value(), "prod");
}

TEST(PayloadsTest, DiscordEmbedColouredByState) {
  Value v = Json(DiscordPayload(Make(NotifyKind::kFiring)));
  const Value& e = F(v, "embeds").list_value().values(0);
  EXPECT_EQ(F(e, "title").string_value(), "[FIRING] critical: cpu_usage_critical on bot-1");
  EXPECT_EQ(F(e, "color").number_value(), 0xE01E5A);
  EXPECT_EQ(F(e, "timestamp").string_value(), "2027-01-15T08:00:00.000Z");
  EXPECT_EQ(F(e, "fields").list_value().values_size(), 4);  // value, threshold, host, playbook
  Value r = Json(DiscordPayload(Make(NotifyKind::kResolved)));
  EXPECT_EQ(F(F(r, "embeds").list_value().values(0), "color").number_value(), 0x2EB67D);
}

TEST(PayloadsTest, Slack) {
  Value v = Json(SlackPayload(Make(NotifyKind::kFiring)));
  EXPECT_EQ(F(F(v, "attachments").list_value().values(0), "color").string_value(), "#E01E5A");
}

TEST(PayloadsTest, AlertmanagerV2) {
  const int64_t now = 1'800'000'030'000;
  Value firing = Json(AlertmanagerPayload(Make(NotifyKind::kFiring), now));
  const Value& a = firing.list_value().values(0);
  EXPECT_EQ(F(F(a, "labels"), "alertname").string_value(), "cpu_usage_critical");
  EXPECT_EQ(F(F(a, "labels"), "env").string_value(), "prod");
  EXPECT_EQ(F(a, "startsAt").string_value(), "2027-01-15T08:00:00.000Z");
  EXPECT_EQ(F(a, "endsAt").string_value(), "2027-01-15T08:15:30.000Z");  // now + 15 min
  Value resolved = Json(AlertmanagerPayload(Make(NotifyKind::kResolved), now));
  EXPECT_EQ(F(resolved.list_value().values(0), "endsAt").string_value(),
            "2027-01-15T08:01:00.000Z");
}

TEST(PayloadsTest, EmailHasHeadersAndBody) {
  std::string m = EmailMessage(Make(NotifyKind::kFiring), "rg@example.org",
                               {"a@example.org", "b@example.org"}, 1'800'000'000'000);
  EXPECT_NE(m.find("From: rg@example.org\r\n"), std::string::npos);
  EXPECT_NE(m.find("To: a@example.org, b@example.org\r\n"), std::string::npos);
  EXPECT_NE(m.find("Subject: [rollguard] FIRING critical cpu_usage_critical on bot-1\r\n"),
            std::string::npos);
  EXPECT_NE(m.find("\r\n\r\ncpu_usage is 93.25 (> 90) on bot-1\r\n"), std::string::npos);
  EXPECT_NE(m.find("Playbook:  full-rollback"), std::string::npos);
}

}  // namespace
}  // namespace rollguard::collector
