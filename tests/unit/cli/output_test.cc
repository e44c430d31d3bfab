#include "cli/output.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "rollguard/v1/admin_service.pb.h"

namespace rollguard::cli {
namespace {

TEST(OutputTest, TableAlignsColumns) {
  Table t({"host", "cpu"});
  t.AddRow({"bot-1", "12%"});
  t.AddRow({"a-much-longer-host", "3%"});
  EXPECT_EQ(t.Render(),
            "HOST                CPU\n"
            "bot-1               12%\n"
            "a-much-longer-host  3%\n");
}

TEST(OutputTest, Values) {
  EXPECT_EQ(FormatValue(42), "42");
  EXPECT_EQ(FormatValue(42.5), "42.5");
  EXPECT_EQ(FormatValue(1.0 / 3), "0.33");
  EXPECT_EQ(FormatValue(0.001234), "0.00123");
  EXPECT_EQ(FormatValue(-0.0), "0");
}

TEST(OutputTest, Times) {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  EXPECT_EQ(FormatAgo(absl::ToUnixMillis(now - absl::Seconds(12)), now), "12s ago");
  EXPECT_EQ(FormatAgo(0, now), "never");
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01 00:00:00.000");
}

}  // namespace
}  // namespace rollguard::cli

namespace rollguard::cli {
namespace {

TEST(JsonTimesTest, TimeFieldsGetAnRfc3339SiblingDurationsAndLabelsDoNot) {
  rollguard::v1::ListHostsResponse resp;
  auto* h = resp.add_hosts();
  h->set_host_id("b-1");
  (*h->mutable_labels())["zoneMs"] = "1764683670123";  // data that looks like a time field
  h->set_last_seen_ms(1764683670123);
  h->set_clock_skew_ms(-40);
  h->set_dropped_samples(9007199254740993ULL);
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(resp, &json).ok());
  const std::string out = AddRfc3339Times(json, resp.GetDescriptor());
  EXPECT_NE(out.find(R"("lastSeenMs": "1764683670123",
      "lastSeenTime": "2025-12-02T13:54:30.123Z")"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("zoneTime"), std::string::npos) << out;
  EXPECT_EQ(out.find("clockSkewTime"), std::string::npos) << out;
  // 64-bit integers stay exact strings; key order is kept.
  EXPECT_NE(out.find(R"("droppedSamples": "9007199254740993")"), std::string::npos) << out;
  EXPECT_LT(out.find("hostId"), out.find("lastSeenMs"));
  EXPECT_EQ(AddRfc3339Times("not json", resp.GetDescriptor()), "not json");
  // Invalid UTF-8 from an agent is replaced, never a crash.
  h->set_agent_version("\xff\xfe");
  std::string bad = R"({"hosts": [{"agentVersion": ")" + std::string("\xff") + R"("}]})";
  EXPECT_NE(AddRfc3339Times(bad, resp.GetDescriptor()).find("agentVersion"), std::string::npos);
}

}  // namespace
}  // namespace rollguard::cli
