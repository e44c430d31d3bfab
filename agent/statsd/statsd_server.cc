#include "agent/statsd/statsd_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/mutex.h"

namespace rollguard::agent {
namespace {

constexpr int kBatch = 64;              // datagrams per recvmmsg
constexpr size_t kDatagramMax = 16384;  // StatsD clients send <= 8 KB; larger is cut

absl::StatusOr<sockaddr_in> ParseIpv4(const std::string& listen) {
  size_t colon = listen.rfind(':');
  int port = -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535 ||
      inet_pton(AF_INET, listen.substr(0, colon).c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("statsd listen address '", listen,
                                                   "' must be IPv4:PORT, e.g. 127.0.0.1:8125"));
  }
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<StatsdServer>> StatsdServer::Start(StatsdServerOptions options) {
  auto addr = ParseIpv4(options.listen);
  if (!addr.ok()) return addr.status();
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("statsd socket: ", std::strerror(errno)));
  // FORCE works as root beyond net.core.rmem_max; otherwise take what we may.
  int want = options.receive_buffer_bytes;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) != 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
  }
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0) {
    int err = errno;
    ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("statsd: cannot listen on ", options.listen, ": ", std::strerror(err)));
  }
  sockaddr_in bound{};
  socklen_t len = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  int got = 0;
  len = sizeof(got);
  ::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
  auto server = std::unique_ptr<StatsdServer>(
      new StatsdServer(fd, ntohs(bound.sin_port), got, std::move(options.mapping)));
  server->thread_ = std::thread([s = server.get()] { s->Loop(); });
  spdlog::info("statsd: listening on {}:{} (receive buffer {} KB)",
               options.listen.substr(0, options.listen.rfind(':')), server->port_, got / 1024);
  return server;
}

StatsdServer::StatsdServer(int fd, int port, int rcvbuf, StatsdMapping mapping)
    : fd_(fd),
      wake_fd_(::eventfd(0, EFD_CLOEXEC)),
      port_(port),
      rcvbuf_(rcvbuf),
      aggregator_(std::move(mapping)) {}

StatsdServer::~StatsdServer() { Stop(); }

void StatsdServer::Stop() {
  if (stop_.exchange(true)) return;
  uint64_t one = 1;
  ssize_t unused = ::write(wake_fd_, &one, sizeof(one));
  (void)unused;
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
  ::close(wake_fd_);
}

void StatsdServer::LogBadLine(absl::string_view line, const absl::Status& why) {
  // At most one line a second in the log; the count is always exact.
  int64_t now = Clock::Real().NowMs();
  if (now - last_bad_log_ms_ >= 1000) {
    std::string shown(line.substr(0, 200));
    if (bad_not_logged_ > 0) {
      spdlog::warn("statsd: bad line '{}': {} ({} more bad lines not logged)", shown,
                   std::string(why.message()), bad_not_logged_);
    } else {
      spdlog::warn("statsd: bad line '{}': {}", shown, std::string(why.message()));
    }
    last_bad_log_ms_ = now;
    bad_not_logged_ = 0;
  } else {
    ++bad_not_logged_;
  }
}

void StatsdServer::Loop() {
  // Not zero-filled: pages are touched only as datagrams arrive.
  std::unique_ptr<char[]> buffers(new char[static_cast<size_t>(kBatch) * kDatagramMax]);
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  constexpr size_t kControlSize = CMSG_SPACE(sizeof(uint32_t));
  std::vector<char> control(static_cast<size_t>(kBatch) * kControlSize);
  for (int i = 0; i < kBatch; ++i) {
    iov[i].iov_base = buffers.get() + static_cast<size_t>(i) * kDatagramMax;
    iov[i].iov_len = kDatagramMax;
  }
  while (!stop_) {
    // Sleep until data or Stop (which writes the eventfd): no idle wake-ups.
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int ready = ::poll(p, 2, -1);
    if (ready <= 0 || (p[0].revents & POLLIN) == 0) continue;
    for (int i = 0; i < kBatch; ++i) {
      std::memset(&msgs[i], 0, sizeof(mmsghdr));
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_control = control.data() + static_cast<size_t>(i) * kControlSize;
      msgs[i].msg_hdr.msg_controllen = kControlSize;
    }
    int n = ::recvmmsg(fd_, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) continue;
    int64_t now_ms = Clock::Real().NowMs();
    uint64_t good = 0, bad = 0;
    MutexLock lock(&mu_);
    for (int i = 0; i < n; ++i) {
      // The kernel's running count of datagrams dropped for lack of buffer.
      for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c != nullptr;
           c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
          uint32_t drops = 0;
          std::memcpy(&drops, CMSG_DATA(c), sizeof(drops));
          socket_drops_ = drops;
        }
      }
      absl::string_view datagram(static_cast<const char*>(iov[i].iov_base), msgs[i].msg_len);
      if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
        // Keep the whole lines; the cut one is counted and logged.
        size_t nl = datagram.rfind('\n');
        absl::string_view cut = nl == absl::string_view::npos ? datagram : datagram.substr(nl + 1);
        datagram = nl == absl::string_view::npos ? absl::string_view() : datagram.substr(0, nl);
        ++bad;
        LogBadLine(cut, absl::InvalidArgumentError("datagram over 16 KB: this line was cut"));
      }
      ParseStatsdDatagram(
          datagram,
          [&](const StatsdLine& line) {
            mu_.AssertHeld();  // called here, under the lock
            ++good;
            aggregator_.Add(line, now_ms);
          },
          [&](absl::string_view text, const absl::Status& why) {
            ++bad;
            LogBadLine(text, why);
          });
    }
    lines_ += good;
    bad_lines_ += bad;
  }
}

void StatsdServer::Collect(int64_t now_ms, Readings* out) {
  {
    MutexLock lock(&mu_);
    aggregator_.Collect(now_ms, out);
  }
  out->push_back({"agent_statsd_lines", {}, static_cast<double>(lines_.load())});
  out->push_back({"agent_statsd_bad_lines", {}, static_cast<double>(bad_lines_.load())});
  out->push_back({"agent_statsd_socket_drops", {}, static_cast<double>(socket_drops_.load())});
}

}  // namespace rollguard::agent
