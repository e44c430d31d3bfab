#include "agent/buffer/spool.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "agent/buffer/sample_buffer.h"
#include "tests/support/process.h"

namespace rollguard::agent {
namespace {

namespace fs = std::filesystem;
using rollguard::testing::TempDir;

std::unique_ptr<Spool> MustOpen(const std::string& dir, SeriesRegistry* registry,
                                uint64_t max_bytes = 64ull << 20) {
  auto spool = Spool::Open(SpoolOptions{dir, max_bytes}, registry);
  EXPECT_TRUE(spool.ok()) << spool.status();
  return spool.ok() ? std::move(*spool) : nullptr;
}

std::vector<BufferedSample> Samples(uint32_t id, int n, int64_t t0) {
  std::vector<BufferedSample> out;
  for (int i = 0; i < n; ++i) out.push_back({id, t0 + i, static_cast<double>(t0 + i)});
  return out;
}

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".spool") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(SpoolTest, UnreleasedBatchesComeBackInALaterProcessWithTheirSeries) {
  TempDir dir;
  {
    SeriesRegistry registry;
    registry.IdFor("padding", {});  // so the ids differ between the two runs
    const uint32_t cpu = registry.IdFor("cpu_usage", {});
    const uint32_t mcp = registry.IdFor("probe_up", {{"probe", "mcp"}});
    auto spool = MustOpen(dir.path(), &registry);
    auto a = spool->Append(1, Samples(cpu, 3, 1000));
    auto b = spool->Append(2, Samples(mcp, 2, 2000));
    auto c = spool->Append(3, Samples(cpu, 1, 3000));
    ASSERT_TRUE(a.ok() && b.ok() && c.ok());
    spool->Release(2, *b);  // acknowledged
  }
  SeriesRegistry registry;  // a new process: empty registry
  auto spool = MustOpen(dir.path(), &registry);
  const SpoolRecovery& r = spool->recovery();
  EXPECT_TRUE(r.damage.empty());
  ASSERT_EQ(r.batches.size(), 2u);
  EXPECT_EQ(r.batches[0].sequence, 1u);
  EXPECT_EQ(r.batches[1].sequence, 3u);
  EXPECT_EQ(r.samples, 4u);
  EXPECT_GE(r.next_sequence, 4u);

  absl::StatusOr<Batch> first = spool->Read(1, r.batches[0].ref);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->samples.size(), 3u);
  rollguard::v1::SeriesDefinition def;
  ASSERT_TRUE(registry.Definition(first->samples[0].series_id, &def));
  EXPECT_EQ(def.metric(), "cpu_usage");
  EXPECT_EQ(first->samples[2].timestamp_ms, 1002);
  EXPECT_EQ(first->samples[2].value, 1002.0);
  // The probe series was defined in the file too, labels and all, and so
  // is known to the new registry (ids in reading order: cpu 1, probe 2).
  EXPECT_EQ(registry.size(), 2u);
  EXPECT_EQ(registry.IdFor("probe_up", {{"probe", "mcp"}}), 2u);
}

TEST(SpoolTest, AFileIsDeletedOnceEveryBatchInItIsReleased) {
  TempDir dir;
  SeriesRegistry registry;
  const uint32_t id = registry.IdFor("m", {});
  {
    auto spool = MustOpen(dir.path(), &registry);
    auto a = spool->Append(1, Samples(id, 2, 0));
    ASSERT_TRUE(a.ok());
    spool->Release(1, *a);
  }
  // The file being written stays until a new process starts another.
  ASSERT_EQ(SegmentFiles(dir.path()).size(), 1u);
  auto spool = MustOpen(dir.path(), &registry);
  EXPECT_TRUE(spool->recovery().batches.empty());
  EXPECT_EQ(spool->segments(), 1u);
  EXPECT_EQ(SegmentFiles(dir.path()).size(), 1u) << "the old, empty file is gone";
}

TEST(SpoolTest, ATornLastWriteIsSkippedNotFatal) {
  TempDir dir;
  SeriesRegistry registry;
  const uint32_t id = registry.IdFor("m", {});
  {
    auto spool = MustOpen(dir.path(), &registry);
    for (uint64_t seq = 1; seq <= 3; ++seq) ASSERT_TRUE(spool->Append(seq, Samples(id, 5, 0)).ok());
  }
  const std::string file = SegmentFiles(dir.path()).back();
  fs::resize_file(file, fs::file_size(file) - 7);  // the crash hit the third write
  SeriesRegistry fresh;
  auto spool = MustOpen(dir.path(), &fresh);
  ASSERT_EQ(spool->recovery().batches.size(), 2u);
  ASSERT_EQ(spool->recovery().damage.size(), 1u);
  EXPECT_NE(spool->recovery().damage[0].find("torn write"), std::string::npos)
      << spool->recovery().damage[0];
  EXPECT_NE(spool->recovery().damage[0].find("the 2 records before it are kept"),
            std::string::npos);
}

TEST(SpoolTest, GarbageInTheFolderIsReportedAndStartUpGoesOn) {
  TempDir dir;
  fs::create_directories(dir.path());
  rollguard::testing::WriteTextFile(dir.File("seg-0000000000000007.spool"), "garbage!garbage!");
  rollguard::testing::WriteTextFile(dir.File("notes.txt"), "left alone");
  SeriesRegistry registry;
  auto spool = MustOpen(dir.path(), &registry);
  ASSERT_EQ(spool->recovery().damage.size(), 1u);
  EXPECT_NE(spool->recovery().damage[0].find("bad magic"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir.File("notes.txt")));
  // New writes go to a file numbered after the damaged one.
  EXPECT_TRUE(fs::exists(dir.File("seg-0000000000000008.spool")));
}

// Releases live in the file being written, not next to their batches: a
// file holding only releases must outlive the batches it releases.
TEST(SpoolTest, AcknowledgementsOfRecoveredBatchesSurviveAnotherRestart) {
  TempDir dir;
  {
    SeriesRegistry registry;
    const uint32_t id = registry.IdFor("m", {});
    auto spool = MustOpen(dir.path(), &registry);
    for (uint64_t seq = 1; seq <= 4; ++seq) ASSERT_TRUE(spool->Append(seq, Samples(id, 1, 0)).ok());
  }
  {
    SeriesRegistry registry;
    auto spool = MustOpen(dir.path(), &registry);
    ASSERT_EQ(spool->recovery().batches.size(), 4u);
    // Two acknowledged, then a restart before anything new was written.
    for (int i = 0; i < 2; ++i) {
      spool->Release(spool->recovery().batches[i].sequence, spool->recovery().batches[i].ref);
    }
  }
  for (int restart = 0; restart < 2; ++restart) {
    SeriesRegistry registry;
    auto spool = MustOpen(dir.path(), &registry);
    ASSERT_EQ(spool->recovery().batches.size(), 2u) << "restart " << restart;
    EXPECT_EQ(spool->recovery().batches[0].sequence, 3u);
  }
}

TEST(SpoolTest, AFileThatCannotBeReadIsLeftAloneAndNewFilesNumberAfterIt) {
  TempDir dir;
  fs::create_directories(dir.path());
  // A FIFO must not hang start-up, and is not deleted.
  ASSERT_EQ(::mkfifo(dir.File("seg-0000000000000009.spool").c_str(), 0600), 0);
  SeriesRegistry registry;
  auto spool = MustOpen(dir.path(), &registry);
  ASSERT_EQ(spool->recovery().damage.size(), 1u);
  EXPECT_NE(spool->recovery().damage[0].find("left in place"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir.File("seg-0000000000000009.spool")));
  EXPECT_TRUE(fs::exists(dir.File("seg-0000000000000010.spool")));
}

TEST(SpoolTest, AFolderThatIsALinkIsRefused) {
  TempDir dir;
  fs::create_directories(dir.File("real"));
  fs::create_directory_symlink(dir.File("real"), dir.File("link"));
  SeriesRegistry registry;
  auto spool = Spool::Open(SpoolOptions{dir.File("link"), 64 << 20}, &registry);
  ASSERT_FALSE(spool.ok());
  EXPECT_NE(spool.status().message().find("not a folder (a link or a file)"),
            absl::string_view::npos)
      << spool.status();
  // --check-config says the same without touching anything; an absent
  // folder is fine (Open makes it), a real one of ours too.
  absl::Status check = CheckSpoolFolder(dir.File("link"));
  EXPECT_EQ(check.code(), absl::StatusCode::kFailedPrecondition) << check;
  EXPECT_TRUE(CheckSpoolFolder(dir.File("real")).ok());
  EXPECT_TRUE(CheckSpoolFolder(dir.File("not-yet")).ok());
  EXPECT_FALSE(fs::exists(dir.File("not-yet")));
}

TEST(SpoolTest, OneAgentPerSpool) {
  TempDir dir;
  SeriesRegistry registry;
  auto first = MustOpen(dir.path(), &registry);
  auto second = Spool::Open(SpoolOptions{dir.path(), 64 << 20}, &registry);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("another rollguard-agent uses this spool (pid "),
            absl::string_view::npos)
      << second.status();
  EXPECT_NE(second.status().message().find("buffer.spool_dir"), absl::string_view::npos);
}

TEST(SpoolTest, AFolderThatCannotBeCreatedIsNamed) {
  TempDir dir;
  rollguard::testing::WriteTextFile(dir.File("file"), "x");
  SeriesRegistry registry;
  auto spool = Spool::Open(SpoolOptions{dir.File("file") + "/spool", 64 << 20}, &registry);
  ASSERT_FALSE(spool.ok());
  EXPECT_NE(spool.status().message().find(dir.File("file") + "/spool"), absl::string_view::npos)
      << spool.status();
}

// The buffer over a spool: memory holds the newest, disk everything.
TEST(SpooledBufferTest, PastItsMemoryBoundBatchesWaitOnDiskAndComeBackInOrder) {
  TempDir dir;
  SeriesRegistry registry;
  const uint32_t id = registry.IdFor("m", {});
  SampleBuffer buffer(100);
  buffer.AttachSpool(MustOpen(dir.path(), &registry));
  for (int i = 0; i < 50; ++i) buffer.Push(Samples(id, 10, i * 10));
  EXPECT_EQ(buffer.buffered_samples(), 500u);
  EXPECT_EQ(buffer.dropped_samples(), 0u);
  EXPECT_LE(buffer.spool_stats().resident_samples, 100u);
  int64_t expect = 0;
  for (;;) {
    std::vector<Batch> taken = buffer.TakeUnsent(7, 64, absl::ZeroDuration());
    if (taken.empty()) break;
    for (const Batch& b : taken) {
      for (const BufferedSample& s : b.samples) {
        ASSERT_EQ(s.timestamp_ms, expect);
        ASSERT_EQ(s.series_id, id);
        ++expect;
      }
      buffer.Remove(b.sequence);
    }
  }
  EXPECT_EQ(expect, 500);
  EXPECT_EQ(buffer.buffered_samples(), 0u);
}

TEST(SpooledBufferTest, TheByteBoundDropsTheOldestAndCountsThem) {
  TempDir dir;
  SeriesRegistry registry;
  const uint32_t id = registry.IdFor("m", {});
  SampleBuffer buffer(1000);
  buffer.AttachSpool(MustOpen(dir.path(), &registry, /*max_bytes=*/1 << 20));
  // ~20 bytes a sample on disk: 200,000 samples is about 4 MiB.
  for (int i = 0; i < 1000; ++i) buffer.Push(Samples(id, 200, i * 200));
  SpoolStats stats = buffer.spool_stats();
  EXPECT_LE(stats.bytes, (1u << 20) + (1u << 20) / 8 + 4096);
  EXPECT_GT(buffer.dropped_samples(), 100'000u);
  EXPECT_EQ(buffer.dropped_samples() + buffer.buffered_samples(), 200'000u);
  // What is left is the newest.
  std::vector<Batch> taken = buffer.TakeUnsent(1, 1, absl::ZeroDuration());
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(static_cast<uint64_t>(taken[0].samples[0].timestamp_ms), buffer.dropped_samples());
}

TEST(SpooledBufferTest, ARestartSendsExactlyWhatWasNotAcknowledged) {
  TempDir dir;
  {
    SeriesRegistry registry;
    const uint32_t id = registry.IdFor("m", {{"k", "v"}});
    SampleBuffer buffer(20);  // most of it on disk only
    buffer.AttachSpool(MustOpen(dir.path(), &registry));
    for (int i = 0; i < 10; ++i) buffer.Push(Samples(id, 5, i * 5));
    std::vector<Batch> sent = buffer.TakeUnsent(4, 64, absl::ZeroDuration());
    ASSERT_EQ(sent.size(), 4u);
    buffer.Remove(sent[0].sequence);  // two acknowledged, two in flight at the "crash"
    buffer.Remove(sent[2].sequence);
  }
  SeriesRegistry registry;
  SampleBuffer buffer(20);
  buffer.AttachSpool(MustOpen(dir.path(), &registry));
  EXPECT_EQ(buffer.buffered_samples(), 40u);
  std::vector<int64_t> firsts;
  for (;;) {
    std::vector<Batch> taken = buffer.TakeUnsent(3, 64, absl::ZeroDuration());
    if (taken.empty()) break;
    for (const Batch& b : taken) {
      firsts.push_back(b.samples[0].timestamp_ms);
      rollguard::v1::SeriesDefinition def;
      ASSERT_TRUE(registry.Definition(b.samples[0].series_id, &def));
      EXPECT_EQ(def.metric(), "m");
      EXPECT_EQ(def.labels().at("k"), "v");
    }
  }
  EXPECT_EQ(firsts, (std::vector<int64_t>{5, 15, 20, 25, 30, 35, 40, 45}));
  // New batches number after the old ones, so acknowledgements never mix.
  EXPECT_GT(buffer.Push(Samples(registry.IdFor("m", {{"k", "v"}}), 1, 99)), 10u);
}

}  // namespace
}  // namespace rollguard::agent
