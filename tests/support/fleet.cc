#include "tests/support/fleet.h"

#include <arpa/inet.h>
#include <google/protobuf/util/json_util.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace rollguard::testing {

absl::StatusOr<std::unique_ptr<CollectorUnderTest>> CollectorUnderTest::Start(
    const std::string& work_dir, const std::string& data_dir, int port,
    const std::vector<std::string>& extra_args) {
  auto c = std::unique_ptr<CollectorUnderTest>(new CollectorUnderTest());
  std::string port_file = work_dir + "/collector.port";
  std::remove(port_file.c_str());
  std::vector<std::string> argv = {BinPath("rollguard-collector"),
                                   "--listen",
                                   absl::StrCat("127.0.0.1:", port),
                                   "--data-dir",
                                   data_dir,
                                   "--port-file",
                                   port_file};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  auto p = ChildProcess::Start(argv, work_dir + "/collector.log");
  if (!p.ok()) return p.status();
  c->process_ = std::move(*p);
  bool up =
      WaitFor([&] { return absl::SimpleAtoi(ReadTextFile(port_file), &c->port_) && c->port_ > 0; },
              absl::Seconds(20));
  if (!up) {
    return absl::DeadlineExceededError(
        absl::StrCat("collector did not start; its log:\n", c->process_->Log()));
  }
  return c;
}

absl::StatusOr<std::unique_ptr<ChildProcess>> StartAgent(const std::string& work_dir,
                                                         const std::string& collector,
                                                         const std::string& host_id,
                                                         const std::string& extra_yaml) {
  std::string config = absl::StrCat(work_dir, "/agent-", host_id, ".yaml");
  WriteTextFile(
      config,
      absl::StrCat(
          "collector: ", collector, "\n", "host_id: ", host_id, "\n",
          absl::StartsWith(extra_yaml, "interval:") ? "" : "interval: 200ms\n",
          "heartbeat_interval: 500ms\n", "reconnect:\n", "  initial_backoff: 100ms\n",
          "  max_backoff: 500ms\n",
          // Never the shared default port 8125 in tests.
          extra_yaml.find("statsd:") == std::string::npos ? "statsd:\n  listen: 127.0.0.1:0\n" : "",
          extra_yaml));
  return ChildProcess::Start({BinPath("rollguard-agent"), "--config", config},
                             absl::StrCat(work_dir, "/agent-", host_id, ".log"));
}

namespace {
int PickFreePort(int type) {
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}
}  // namespace

int PickFreeUdpPort() { return PickFreePort(SOCK_DGRAM); }
int PickFreeTcpPort() { return PickFreePort(SOCK_STREAM); }

absl::StatusOr<std::unique_ptr<ChildProcess>> StartFakeMcp(const std::string& work_dir, int* port) {
  std::string port_file = work_dir + "/fake-mcp.port";
  auto p = ChildProcess::Start(
      {BinPath("fake-mcp-server"), "--port-file", port_file, "--slow-ms", "2000"},
      work_dir + "/fake-mcp.log");
  if (!p.ok()) return p.status();
  if (!WaitFor([&] { return absl::SimpleAtoi(ReadTextFile(port_file), port) && *port > 0; },
               absl::Seconds(10))) {
    return absl::DeadlineExceededError("fake-mcp-server did not start: " + (*p)->Log());
  }
  return p;
}

absl::StatusOr<std::string> HttpGet(int port, const std::string& path) {
  CommandResult r = RunCommand(
      {"/usr/bin/curl", "-sS", "--max-time", "5", absl::StrCat("http://127.0.0.1:", port, path)});
  if (r.exit_code != 0) return absl::UnavailableError(r.err);
  return r.out;
}

bool WaitUntilReporting(const std::string& collector, const std::string& host) {
  return WaitFor(
      [&] {
        return RunCli(collector, {"history", host, "memory_usage"}).exit_code == 0;
      },
      absl::Seconds(15));
}

CommandResult RunCli(const std::string& collector, const std::vector<std::string>& args,
                     absl::Duration timeout) {
  std::vector<std::string> argv = {BinPath("rollguard"), "--collector", collector};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, timeout);
}

absl::Status RunCliJson(const std::string& collector, const std::vector<std::string>& args,
                        google::protobuf::Message* out) {
  std::vector<std::string> full = {"-o", "json"};
  full.insert(full.end(), args.begin(), args.end());
  CommandResult r = RunCli(collector, full);
  if (r.exit_code != 0) {
    return absl::UnknownError(
        absl::StrCat("rollguard ", absl::StrJoin(args, " "), " exited ", r.exit_code, ": ", r.err));
  }
  // The RFC 3339 "...Time" siblings the CLI adds are not proto fields.
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  auto s = google::protobuf::util::JsonStringToMessage(r.out, out, opts);
  if (!s.ok()) return absl::InternalError(absl::StrCat("bad JSON (", s.ToString(), "): ", r.out));
  return absl::OkStatus();
}

}  // namespace rollguard::testing
