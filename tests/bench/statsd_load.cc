// rollguard-statsd-load: sends StatsD lines over UDP from a separate process,
// as a bot's statsd client would, for tests and the ingest benchmark.
//
//   rollguard-statsd-load --target 127.0.0.1:8125 --file lines.txt          (each line once)
//   rollguard-statsd-load --target 127.0.0.1:8125 --generate 2000000 --rate 200000
//
// --generate makes a realistic mix: response_time timers over a few ops,
// errors counters, channel_creation_time timers, a gauge. Prints lines sent.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  std::string target = "127.0.0.1:8125", file;
  long generate = 0;
  double rate = 0;  // lines/s; 0 = as fast as possible
  int per_datagram = 20;
  CLI::App app{"rollguard-statsd-load: send StatsD lines over UDP"};
  app.add_option("--target", target, "HOST:PORT")->capture_default_str();
  app.add_option("--file", file, "send each line of this file once");
  app.add_option("--generate", generate, "generate this many lines of a realistic mix");
  app.add_option("--rate", rate, "lines per second (0 = unthrottled)");
  app.add_option("--lines-per-datagram", per_datagram, "lines packed per datagram")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::vector<std::string> lines;
  if (!file.empty()) {
    std::ifstream in(file);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  std::mt19937 rng(42);
  const char* ops[] = {"create_channels", "mlb_scores", "soccer_matches", "h2h", "standings"};
  for (long i = 0; i < generate; ++i) {
    int kind = static_cast<int>(rng() % 100);
    std::string op = ops[rng() % 5];
    if (kind < 85) {
      lines.push_back("sportsbot.response_time:" + std::to_string(50 + rng() % 2000) +
                      "|ms|#op:" + op);
    } else if (kind < 90) {
      lines.push_back("sportsbot.errors:1|c|#op:" + op + ",type:timeout");
    } else if (kind < 95) {
      lines.push_back("sportsbot.channel_creation_time:" + std::to_string(200 + rng() % 800) +
                      "|ms");
    } else {
      lines.push_back("sportsbot.guilds:" + std::to_string(100 + rng() % 5) + "|g");
    }
  }

  size_t colon = target.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(target.substr(colon + 1))));
  inet_pton(AF_INET, target.substr(0, colon).c_str(), &addr.sin_addr);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return 1;

  auto start = std::chrono::steady_clock::now();
  size_t sent = 0;
  std::string datagram;
  for (size_t i = 0; i < lines.size();) {
    datagram.clear();
    int n = 0;
    for (; i < lines.size() && n < per_datagram; ++i, ++n) {
      if (!datagram.empty()) datagram += '\n';
      datagram += lines[i];
    }
    if (sendto(fd, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&addr),
               sizeof(addr)) < 0) {
      std::perror("sendto");
      return 1;
    }
    sent += n;
    if (rate > 0) {
      auto due = start + std::chrono::duration<double>(sent / rate);
      std::this_thread::sleep_until(due);
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("sent %zu lines in %.3f s (%.0f lines/s)\n", sent, secs, sent / secs);
  close(fd);
  return 0;
}
