// The web console in a real browser: a TLS collector with operator and viewer
// tokens, a real agent with a playbook, and a simulated fleet
// (rollguard-fleet-sim) making 1,000 hosts. tests/browser/console_test.mjs
// drives Debian's chromium headless (puppeteer-core) through every page:
// signs in, checks each page shows the live collector's data, acts as an
// operator (a rollback followed live to success, an incident acknowledged, a
// silence added), is refused as a viewer, times the fleet page (the issue's
// target: under 1 s for 1,000 hosts; this binary's tests run alone, see
// SERIAL in tests/e2e/CMakeLists.txt) and saves screenshots under
// build/tests/e2e/console-screenshots (under ctest).
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/e2e/console_tls_fixture.h"
#include "tests/support/fleet.h"

namespace rollguard::testing {
namespace {

using Json = nlohmann::json;

TEST_F(ConsoleTlsTest, OperatorsActViewersWatchAndTheFleetPageIsFast) {
  constexpr int kSimulated = 999;  // + the real agent: 1,000 hosts
  WriteTextFile(dir_.File("rules.yaml"),
                "rules:\n  - {name: disk_in_use, family: disk_usage, metric: disk_usage, op: '>', "
                "threshold: 0, severity: critical}\n");
  WriteTextFile(dir_.File("collector.yaml"),
                "alerting:\n  rules: rules.yaml\n"
                "automation:\n  mode: confirm\n  playbooks: {critical: noop}\n");
  StartCollector({"--config", dir_.File("collector.yaml")});
  auto agent = StartAgent(dir_.path(), collector_->address(), "bot-a",
                          AgentYaml("service: {command: [/bin/sleep, '600']}\n"
                                    "playbooks:\n  noop:\n    steps:\n"
                                    "      - run: {command: [/bin/sleep, '1']}\n"
                                    "      - run: {command: [/bin/true]}\n"));
  ASSERT_TRUE(agent.ok()) << agent.status();
  auto sim = ChildProcess::Start(
      {BinPath("rollguard-fleet-sim"), "--collector", collector_->address(), "--tls-pki", pki_,
       "--agents", std::to_string(kSimulated), "--prefix", "sim", "--interval", "10",
       "--series-per-agent", "5", "--headline-metrics"},
      dir_.File("fleet-sim.log"));
  ASSERT_TRUE(sim.ok()) << sim.status();
  ASSERT_TRUE(
      WaitFor([&] { return absl::StrContains((*sim)->Log(), "ready"); }, absl::Seconds(120)))
      << (*sim)->Log();
  // The real host's history and the incident its alert opened.
  ASSERT_TRUE(WaitFor(
      [&] {
        CommandResult r =
            RunCli(collector_->address(), {"--tls-ca", pki_ + "/ca.crt", "--token-file",
                                           pki_ + "/tokens/viewer.token", "incidents"});
        return r.exit_code == 0 && absl::StrContains(r.out, "bot-a");
      },
      absl::Seconds(30)))
      << (*agent)->Log();

  const std::string screenshots = std::filesystem::current_path().string() + "/console-screenshots";
  Json cfg = {{"url", absl::StrCat("https://127.0.0.1:", http_port_)},
              {"chromium", "/usr/bin/chromium"},
              {"operator_token", Token("operator")},
              {"viewer_token", Token("viewer")},
              {"host", "bot-a"},
              {"playbook", "noop"},
              {"fleet_size", kSimulated + 1},
              {"screenshots", screenshots}};
  WriteTextFile(dir_.File("browser.json"), cfg.dump(2));
  CommandResult run =
      RunCommand({"/usr/bin/env", "node", SourcePath("tests/browser/console_test.mjs"),
                  dir_.File("browser.json")},
                 absl::Minutes(4));
  std::printf("%s%s", run.out.c_str(), run.err.c_str());
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(absl::StrContains(run.out, "all checks passed")) << run.out;
  EXPECT_FALSE(absl::StrContains(run.out, "FAIL")) << run.out;
  EXPECT_TRUE(std::filesystem::exists(screenshots + "/fleet.png"));
  (*sim)->Signal(SIGTERM);
  (*agent)->Signal(SIGTERM);
}

}  // namespace
}  // namespace rollguard::testing
