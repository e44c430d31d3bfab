#include "collector/ingest/work_pool.h"

#include <gtest/gtest.h>

#include <atomic>

namespace rollguard::collector {
namespace {

TEST(WorkPoolTest, StopRunsEveryQueuedJob) {
  std::atomic<int> ran{0};
  WorkPool pool(2);
  for (int i = 0; i < 1000; ++i) pool.Submit([&] { ++ran; });
  pool.Stop();
  EXPECT_EQ(ran.load(), 1000);
  // After shutdown a job still runs (inline) rather than being lost.
  pool.Submit([&] { ++ran; });
  EXPECT_EQ(ran.load(), 1001);
  pool.Stop();  // idempotent
}

}  // namespace
}  // namespace rollguard::collector
