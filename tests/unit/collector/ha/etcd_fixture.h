// A real etcd per test (Debian's etcd-server) and election options that
// make a test's failovers quick (ttl 2 s, polls every 100 ms).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "collector/ha/ha_options.h"
#include "tests/support/etcd.h"

namespace rollguard::collector {

class EtcdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = rollguard::testing::EtcdUnderTest::Start(dir_.path());
    ASSERT_TRUE(e.ok()) << e.status();
    etcd_ = std::move(*e);
  }
  HaOptions Options(const std::string& member) {
    HaOptions o;
    o.etcd = {etcd_->url()};
    o.ttl = absl::Seconds(2);
    o.member = member;
    o.address = "127.0.0.1:1";
    o.poll = absl::Milliseconds(100);
    return o;
  }
  rollguard::testing::TempDir dir_;
  std::unique_ptr<rollguard::testing::EtcdUnderTest> etcd_;
};

}  // namespace rollguard::collector
