#include "agent/buffer/spool_frames.h"

#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"

namespace rollguard::agent {
namespace {

uint32_t Crc(std::string_view data) {
  return static_cast<uint32_t>(
      ::crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

// Why `header` (8 bytes) followed by `available` bytes is not a whole frame,
// or "" when its length is plausible.
std::string CheckLength(uint32_t length, uint64_t available) {
  if (length > kMaxFramePayload) {
    return absl::StrCat("frame length ", length, " is over the ", kMaxFramePayload, " limit");
  }
  if (length > available) {
    return absl::StrCat("frame of ", length, " bytes but only ", available, " follow (torn write)");
  }
  return "";
}

}  // namespace

std::string EncodeFrame(std::string_view payload) {
  std::string out(kFrameHeaderBytes, '\0');
  absl::little_endian::Store32(out.data(), static_cast<uint32_t>(payload.size()));
  absl::little_endian::Store32(out.data() + 4, Crc(payload));
  out.append(payload);
  return out;
}

FrameScan ScanFrames(std::string_view file) {
  FrameScan scan;
  if (file.substr(0, kSpoolMagic.size()) != kSpoolMagic) {
    scan.damage = file.size() < kSpoolMagic.size() ? "file shorter than its header"
                                                   : "not a spool file (bad magic)";
    return scan;
  }
  uint64_t at = kSpoolMagic.size();
  while (at < file.size()) {
    if (file.size() - at < kFrameHeaderBytes) {
      scan.damage = "partial frame header at the end (torn write)";
      scan.damage_offset = at;
      return scan;
    }
    const uint32_t length = absl::little_endian::Load32(file.data() + at);
    const uint32_t crc = absl::little_endian::Load32(file.data() + at + 4);
    const uint64_t body = at + kFrameHeaderBytes;
    if (std::string why = CheckLength(length, file.size() - body); !why.empty()) {
      scan.damage = std::move(why);
      scan.damage_offset = at;
      return scan;
    }
    std::string_view payload = file.substr(body, length);
    if (Crc(payload) != crc) {
      scan.damage = "CRC mismatch";
      scan.damage_offset = at;
      return scan;
    }
    scan.frames.push_back({at, payload});
    at = body + length;
  }
  return scan;
}

absl::StatusOr<std::string> ReadFrameAt(int fd, uint64_t offset) {
  char header[kFrameHeaderBytes];
  auto read_exact = [&](char* into, size_t n, uint64_t from) -> absl::Status {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd, into + done, n - done, static_cast<off_t>(from + done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return absl::DataLossError(absl::StrCat("read: ", std::strerror(errno)));
      if (r == 0) return absl::DataLossError("frame ends past the end of the file");
      done += static_cast<size_t>(r);
    }
    return absl::OkStatus();
  };
  if (absl::Status s = read_exact(header, sizeof(header), offset); !s.ok()) return s;
  const uint32_t length = absl::little_endian::Load32(header);
  const uint32_t crc = absl::little_endian::Load32(header + 4);
  if (length > kMaxFramePayload) {
    return absl::DataLossError(absl::StrCat("frame at ", offset, ": length ", length));
  }
  std::string payload(length, '\0');
  if (absl::Status s = read_exact(payload.data(), length, offset + kFrameHeaderBytes); !s.ok()) {
    return s;
  }
  if (Crc(payload) != crc) {
    return absl::DataLossError(absl::StrCat("frame at ", offset, ": CRC mismatch"));
  }
  return payload;
}

}  // namespace rollguard::agent
