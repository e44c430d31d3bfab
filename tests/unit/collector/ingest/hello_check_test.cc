#include "collector/ingest/hello_check.h"

#include <gtest/gtest.h>

namespace rollguard::collector {
namespace {

rollguard::v1::Hello Hello(const std::string& host) {
  rollguard::v1::Hello h;
  h.set_host_id(host);
  return h;
}

TEST(HelloCheckTest, AnHonestHelloPasses) {
  auto h = Hello("bot-eu-1");
  (*h.mutable_labels())["region"] = "eu";
  h.add_playbooks("full-rollback");
  EXPECT_TRUE(CheckHello(h, {}).ok());
}

TEST(HelloCheckTest, HostIdsAreBoundedAndPrintable) {
  EXPECT_EQ(CheckHello(Hello(""), {}).message(), "hello: host_id must be 1-253 characters");
  EXPECT_FALSE(CheckHello(Hello(std::string(254, 'h')), {}).ok());
  EXPECT_EQ(CheckHello(Hello(std::string("bot\0-2", 6)), {}).message(),
            "hello: host_id contains a control character");
  EXPECT_FALSE(CheckHello(Hello("bot\x1b[31m"), {}).ok());
}

TEST(HelloCheckTest, HostLabelsAreBounded) {
  auto h = Hello("bot");
  for (int i = 0; i < 33; ++i) (*h.mutable_labels())["l" + std::to_string(i)] = "v";
  EXPECT_EQ(CheckHello(h, {}).message(), "hello: 33 host labels exceeds the limit of 32");
  h = Hello("bot");
  (*h.mutable_labels())["region"] = std::string("eu\0", 3);
  EXPECT_NE(CheckHello(h, {}).message().find("label 'region'"), std::string::npos);
  h = Hello("bot");
  (*h.mutable_labels())["bad-name"] = "x";
  EXPECT_NE(CheckHello(h, {}).message().find("label name 'bad-name' is invalid"),
            std::string::npos);
}

}  // namespace
}  // namespace rollguard::collector
