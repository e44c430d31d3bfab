// The heads: sealing policy, bounded rounds that reach every head, and the
// lowest log sequence still needed.
#include "collector/storage/series_heads.h"

#include <gtest/gtest.h>

#include <set>

namespace rollguard::collector {
namespace {

TEST(SeriesHeadsTest, BoundedRoundsReachEveryHead) {
  SeriesHeads heads;
  // 64 series (spread over all shards), 5 points each.
  for (SeriesId id = 1; id <= 64; ++id) {
    std::vector<StoredSample> s;
    for (int i = 0; i < 5; ++i) s.push_back({id, i * 1000, double(i)});
    heads.Add(s, /*seq=*/id, /*now_ms=*/0);
  }
  SealPolicy policy;
  policy.full_points = 5;
  policy.max_points = 20;
  std::set<SeriesId> sealed;
  for (int round = 0; round < 100 && heads.points() > 0; ++round) {
    std::vector<SealJob> jobs = heads.Collect(policy, 0);
    size_t copied = 0;
    for (const SealJob& j : jobs) {
      copied += j.count;
      EXPECT_TRUE(sealed.insert(j.series).second) << "sealed twice: " << j.series;
    }
    // A round stops at the bound (it may finish the head that crossed it).
    EXPECT_LT(copied, policy.max_points + 5);
    heads.Release(jobs);
  }
  EXPECT_EQ(sealed.size(), 64u);
  EXPECT_EQ(heads.points(), 0u);
  EXPECT_EQ(heads.MinSeq(), SeriesHeads::kNoSeq);
}

TEST(SeriesHeadsTest, PointsAppendedWhileSealingStayAndKeepTheirSequence) {
  SeriesHeads heads;
  heads.Add({{1, 1000, 1.0}, {1, 2000, 2.0}}, /*seq=*/7, 0);
  SealPolicy policy;
  policy.full_points = 2;
  std::vector<SealJob> jobs = heads.Collect(policy, 0);
  ASSERT_EQ(jobs.size(), 1u);
  heads.Add({{1, 3000, 3.0}}, /*seq=*/9, 0);  // arrives during the seal
  heads.Release(jobs);
  EXPECT_EQ(heads.points(), 1u);
  EXPECT_EQ(heads.MinSeq(), 9u);  // the log below 9 may go
  std::vector<Point> left;
  heads.Range(1, 0, 10'000, &left);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].timestamp_ms, 3000);
}

// A round passes over a shard where nothing can be due (the sealer looks
// five times a second at 200,000 heads); heads that become due by age later,
// or grow long enough, are still found, and a round cut short by its bound
// leaves the rest findable.
TEST(SeriesHeadsTest, SkippedShardsStillSealEveryHeadOnceDue) {
  SeriesHeads heads;
  for (SeriesId id = 1; id <= 64; ++id) heads.Add({{id, 1000, 1.0}}, id, /*now_ms=*/0);
  SealPolicy policy;
  policy.full_points = 3;
  policy.max_age_ms = 60'000;
  EXPECT_TRUE(heads.Collect(policy, 30'000).empty());  // nothing due yet
  EXPECT_TRUE(heads.Collect(policy, 59'999).empty());
  // Series 5 grows long enough; the rest only age.
  heads.Add({{5, 2000, 2.0}, {5, 3000, 3.0}}, 100, 59'999);
  std::vector<SealJob> jobs = heads.Collect(policy, 59'999);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].series, 5u);
  EXPECT_EQ(jobs[0].points.size(), 3u);
  heads.Release(jobs);
  // Aged: found in bounded rounds, each head once.
  policy.max_points = 10;
  std::set<SeriesId> sealed;
  for (int round = 0; round < 100 && heads.points() > 0; ++round) {
    jobs = heads.Collect(policy, 60'000);
    for (const SealJob& j : jobs) EXPECT_TRUE(sealed.insert(j.series).second);
    heads.Release(jobs);
  }
  EXPECT_EQ(sealed.size(), 63u);
  EXPECT_EQ(heads.points(), 0u);
  EXPECT_EQ(heads.point_bytes(), 0u);
}

}  // namespace
}  // namespace rollguard::collector
