// The spool's file format: a segment file is the 8-byte magic "RGSPOOL1",
// then frames of [u32 length][u32 CRC-32 of the payload][payload], both
// numbers little-endian. A frame is written with one write(); a crash can
// leave the last one torn, which a reader finds (length past the end or a
// wrong CRC) and stops at: what came before it is intact.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace rollguard::agent {

inline constexpr std::string_view kSpoolMagic = "RGSPOOL1";
inline constexpr size_t kFrameHeaderBytes = 8;
// A batch is at most a few thousand samples; anything larger is damage.
inline constexpr uint32_t kMaxFramePayload = 16u << 20;

// The frame holding `payload` (at most kMaxFramePayload bytes).
std::string EncodeFrame(std::string_view payload);

struct ScannedFrame {
  uint64_t offset = 0;  // of the frame's header, from the start of the file
  std::string_view payload;
};

struct FrameScan {
  std::vector<ScannedFrame> frames;
  // Empty when every byte was read; else why the scan stopped and where.
  std::string damage;
  uint64_t damage_offset = 0;
};

// Every intact frame of a whole segment file, in order, up to the first
// damaged one. A file without the magic has no frames (damage says so).
FrameScan ScanFrames(std::string_view file);

// The payload of the frame at `offset` in the open file `fd`, checked.
[[nodiscard]] absl::StatusOr<std::string> ReadFrameAt(int fd, uint64_t offset);

}  // namespace rollguard::agent
