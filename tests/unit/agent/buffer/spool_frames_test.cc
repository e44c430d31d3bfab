#include "agent/buffer/spool_frames.h"

#include <gtest/gtest.h>

#include <string>

namespace rollguard::agent {
namespace {

std::string File(std::initializer_list<std::string> payloads) {
  std::string out(kSpoolMagic);
  for (const std::string& p : payloads) out += EncodeFrame(p);
  return out;
}

TEST(SpoolFramesTest, ReadsBackEveryFrameInOrder) {
  const std::string file = File({"one", "", std::string(1000, 'x')});
  FrameScan scan = ScanFrames(file);
  EXPECT_TRUE(scan.damage.empty()) << scan.damage;
  ASSERT_EQ(scan.frames.size(), 3u);
  EXPECT_EQ(scan.frames[0].payload, "one");
  EXPECT_EQ(scan.frames[0].offset, kSpoolMagic.size());
  EXPECT_EQ(scan.frames[1].payload, "");
  EXPECT_EQ(scan.frames[2].payload.size(), 1000u);
}

TEST(SpoolFramesTest, ATornLastFrameKeepsEverythingBeforeIt) {
  const std::string whole = File({"first", "second", "third record"});
  const size_t last_start = whole.size() - (kFrameHeaderBytes + 12);
  // Cut anywhere inside the last frame, as a crash mid-write would.
  for (size_t cut = last_start + 1; cut < whole.size(); ++cut) {
    FrameScan scan = ScanFrames(std::string_view(whole).substr(0, cut));
    ASSERT_EQ(scan.frames.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(scan.frames[1].payload, "second");
    EXPECT_NE(scan.damage.find("torn"), std::string::npos) << scan.damage;
    EXPECT_EQ(scan.damage_offset, last_start);
  }
}

TEST(SpoolFramesTest, AFlippedByteStopsTheScanThere) {
  std::string file = File({"first", "second", "third"});
  const size_t second_start = kSpoolMagic.size() + kFrameHeaderBytes + 5;
  file[second_start + kFrameHeaderBytes + 2] ^= 0x20;  // inside "second"
  FrameScan scan = ScanFrames(file);
  ASSERT_EQ(scan.frames.size(), 1u);
  EXPECT_EQ(scan.damage, "CRC mismatch");
  EXPECT_EQ(scan.damage_offset, second_start);
}

TEST(SpoolFramesTest, AnAbsurdLengthIsDamageNotAnAllocation) {
  std::string file(kSpoolMagic);
  file += std::string("\xff\xff\xff\x7f\0\0\0\0", 8);
  FrameScan scan = ScanFrames(file);
  EXPECT_TRUE(scan.frames.empty());
  EXPECT_NE(scan.damage.find("over the"), std::string::npos) << scan.damage;
}

TEST(SpoolFramesTest, AnotherFileIsNotReadAsFrames) {
  EXPECT_EQ(ScanFrames("hello world, not a spool").damage, "not a spool file (bad magic)");
  EXPECT_EQ(ScanFrames("RG").damage, "file shorter than its header");
}

}  // namespace
}  // namespace rollguard::agent
