#include "collector/alerting/rule_engine.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/fakes/memory_storage.h"
#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

constexpr int64_t kT0 = 1'800'000'000'000;

Rule MakeRule(const std::string& name, const std::string& metric, Comparison op, double threshold,
              const std::string& severity, const std::string& family = "") {
  Rule r;
  r.name = name;
  r.family = family.empty() ? name : family;
  r.metric = metric;
  r.op = op;
  r.op_text = op == Comparison::kGt ? ">" : "<";
  r.threshold = threshold;
  r.severity = severity;
  r.severity_rank = SeverityRank(severity);
  return r;
}

class RuleEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = std::make_unique<rollguard::testing::MemoryStorage>();
    cpu_ = storage_->Intern({"cpu_usage", {{"host", "bot-1"}}});
    up_ = storage_->Intern({"bot_up", {{"host", "bot-1"}}});
    engine_ = std::make_unique<RuleEngine>(storage_.get(), &clock_, options_);
  }
  // Feeds one sample at sample time t (and moves the clock there).
  std::vector<AlertChange> Feed(SeriesId id, int64_t t, double v) {
    clock_.Set(absl::FromUnixMillis(t));
    StoredSample s{id, t, v};
    return engine_->Observe({&s, 1});
  }
  static int Count(const std::vector<AlertChange>& c, NotifyKind k) {
    int n = 0;
    for (const auto& x : c) n += x.notify == k ? 1 : 0;
    return n;
  }
  // Feeds one sample dated t while the collector's clock says `now`.
  std::vector<AlertChange> FeedAt(int64_t now, SeriesId id, int64_t t, double v) {
    clock_.Set(absl::FromUnixMillis(now));
    StoredSample s{id, t, v};
    return engine_->Observe({&s, 1});
  }
  FakeClock clock_{absl::FromUnixMillis(kT0)};
  EngineOptions options_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<RuleEngine> engine_;
  SeriesId cpu_ = 0, up_ = 0;
};

TEST_F(RuleEngineTest, FiresAtOnceWithoutFor) {
  engine_->SetRules({MakeRule("cpu_critical", "cpu_usage", Comparison::kGt, 90, "critical")});
  EXPECT_TRUE(Feed(cpu_, kT0, 50).empty());
  auto c = Feed(cpu_, kT0 + 10'000, 95);
  ASSERT_EQ(c.size(), 2u);  // inactive -> pending -> firing
  EXPECT_EQ(Name(c[1].to_state), "firing");
  EXPECT_EQ(c[1].notify, NotifyKind::kFiring);
  EXPECT_EQ(c[1].alert.id(), "bot-1/cpu_critical");
  EXPECT_EQ(c[1].alert.summary(), "cpu_usage is 95 (> 90) on bot-1");
  auto r = Feed(cpu_, kT0 + 20'000, 40);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(Name(r[0].to_state), "resolved");
  EXPECT_EQ(r[0].notify, NotifyKind::kResolved);
  EXPECT_EQ(r[0].alert.resolve_reason(), "condition cleared");
}

TEST_F(RuleEngineTest, ForDurationMustHoldOnSampleTime) {
  Rule r = MakeRule("bot_down", "bot_up", Comparison::kLt, 1, "critical");
  r.for_duration = absl::Seconds(30);
  engine_->SetRules({r});
  EXPECT_EQ(Name(Feed(up_, kT0, 0)[0].to_state), "pending");
  EXPECT_TRUE(Feed(up_, kT0 + 29'999, 0).empty());  // not yet
  auto fired = Feed(up_, kT0 + 30'000, 0);          // exactly 30 s: fires
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(Name(fired[0].to_state), "firing");
  // A blip that clears before `for` never fires.
  Feed(up_, kT0 + 40'000, 1);
  Feed(up_, kT0 + 50'000, 0);
  auto cleared = Feed(up_, kT0 + 60'000, 1);
  ASSERT_EQ(cleared.size(), 1u);
  EXPECT_EQ(Name(cleared[0].from_state), "pending");
  EXPECT_EQ(cleared[0].to_state, AlertState::kInactive);
  EXPECT_EQ(cleared[0].notify, NotifyKind::kNone);
}

TEST_F(RuleEngineTest, CooldownBoundariesAndResolveAlwaysNotified) {
  Rule r = MakeRule("cpu_warning", "cpu_usage", Comparison::kGt, 70, "warning");
  r.cooldown = absl::Minutes(5);
  engine_->SetRules({r});
  EXPECT_EQ(Count(Feed(cpu_, kT0, 80), NotifyKind::kFiring), 1);
  // Still firing: a repeat only once the cooldown has fully passed.
  Feed(cpu_, kT0 + 100'000, 80);
  Feed(cpu_, kT0 + 299'999, 80);
  EXPECT_EQ(Count(engine_->Tick({}), NotifyKind::kRepeat), 0);
  clock_.Set(absl::FromUnixMillis(kT0 + 300'000));
  Feed(cpu_, kT0 + 300'000, 80);  // keep it fresh
  EXPECT_EQ(Count(engine_->Tick({}), NotifyKind::kRepeat), 1);
  EXPECT_EQ(Count(engine_->Tick({}), NotifyKind::kRepeat), 0);
  // Resolve is always notified...
  EXPECT_EQ(Count(Feed(cpu_, kT0 + 310'000, 10), NotifyKind::kResolved), 1);
  // ...but firing again inside the cooldown of the last notice is not.
  auto again = Feed(cpu_, kT0 + 320'000, 85);
  EXPECT_EQ(Count(again, NotifyKind::kFiring), 0);
  EXPECT_EQ(Name(again.back().to_state), "firing");
  // Once the cooldown passes, the tick announces it.
  clock_.Set(absl::FromUnixMillis(kT0 + 600'000));
  Feed(cpu_, kT0 + 600'000, 85);
  EXPECT_EQ(Count(engine_->Tick({}), NotifyKind::kFiring), 1);
}

TEST_F(RuleEngineTest, OnlyTheHighestSeverityOfAFamilyNotifies) {
  engine_->SetRules(
      {MakeRule("cpu_info", "cpu_usage", Comparison::kGt, 50, "info", "cpu"),
       MakeRule("cpu_warning", "cpu_usage", Comparison::kGt, 70, "warning", "cpu"),
       MakeRule("cpu_critical", "cpu_usage", Comparison::kGt, 90, "critical", "cpu")});
  // All three cross at once: only critical is sent.
  auto c = Feed(cpu_, kT0, 95);
  std::vector<std::string> notified;
  for (const auto& x : c) {
    if (x.notify == NotifyKind::kFiring) notified.push_back(x.alert.rule());
  }
  // Rules are evaluated in file order, so info fired first; it is inhibited
  // by the later critical and its repeat is held back.
  auto active = engine_->Active();
  ASSERT_EQ(active.size(), 3u);
  EXPECT_EQ(active[0].rule(), "cpu_critical");
  EXPECT_FALSE(active[0].inhibited());
  EXPECT_TRUE(active[1].inhibited());
  EXPECT_TRUE(active[2].inhibited());
  EXPECT_NE(std::find(notified.begin(), notified.end(), "cpu_critical"), notified.end());
  clock_.Advance(absl::Minutes(10));
  Feed(cpu_, clock_.NowMs(), 95);
  auto tick = engine_->Tick({});
  ASSERT_EQ(tick.size(), 1u);
  EXPECT_EQ(tick[0].alert.rule(), "cpu_critical");
  // Critical clears (75 is still warning and info): warning now speaks, info stays inhibited.
  auto down = Feed(cpu_, clock_.NowMs() + 1, 75);
  std::vector<std::string> after;
  for (const auto& x : down) {
    if (x.notify != NotifyKind::kNone)
      after.push_back(x.alert.rule() + ":" + NotifyKindName(x.notify));
  }
  EXPECT_EQ(after, (std::vector<std::string>{"cpu_critical:resolved", "cpu_warning:firing"}));
}

TEST_F(RuleEngineTest, StaleDataResolvesAndHostOfflineFires) {
  options_.stale_after = absl::Minutes(2);
  engine_ = std::make_unique<RuleEngine>(storage_.get(), &clock_, options_);
  engine_->SetRules({MakeRule("cpu_critical", "cpu_usage", Comparison::kGt, 90, "critical")});
  Feed(cpu_, kT0, 99);
  rollguard::v1::HostStatus host;
  host.set_host_id("bot-1");
  host.set_last_seen_ms(kT0);
  clock_.Set(absl::FromUnixMillis(kT0 + 119'000));
  EXPECT_TRUE(engine_->Tick({host}).empty());
  clock_.Set(absl::FromUnixMillis(kT0 + 121'000));
  auto c = engine_->Tick({host});
  ASSERT_EQ(c.size(), 2u);  // cpu resolves "no data"; host_offline fires
  EXPECT_EQ(c[0].alert.rule(), "cpu_critical");
  EXPECT_EQ(c[0].alert.resolve_reason(), "no data");
  EXPECT_EQ(c[0].notify, NotifyKind::kResolved);
  EXPECT_EQ(c[1].alert.rule(), "host_offline");
  EXPECT_EQ(Name(c[1].to_state), "firing");
  EXPECT_EQ(c[1].notify, NotifyKind::kFiring);
  EXPECT_EQ(c[1].alert.summary(), "bot-1 has not reported for 2m1s");
  // The host reports again: host_offline resolves.
  host.set_last_seen_ms(kT0 + 130'000);
  clock_.Set(absl::FromUnixMillis(kT0 + 130'000));
  auto back = engine_->Tick({host});
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].alert.rule(), "host_offline");
  EXPECT_EQ(Name(back[0].to_state), "resolved");
}

TEST_F(RuleEngineTest, KeepFiringForRidesOutShortClears) {
  Rule r = MakeRule("cpu_critical", "cpu_usage", Comparison::kGt, 90, "critical");
  r.keep_firing_for = absl::Seconds(30);
  engine_->SetRules({r});
  Feed(cpu_, kT0, 95);
  EXPECT_TRUE(Feed(cpu_, kT0 + 10'000, 50).empty());  // clear, but not for 30 s yet
  EXPECT_TRUE(Feed(cpu_, kT0 + 20'000, 95).empty());  // back: the clear restarts
  EXPECT_TRUE(Feed(cpu_, kT0 + 30'000, 50).empty());
  auto r2 = Feed(cpu_, kT0 + 60'000, 50);
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_EQ(Name(r2[0].to_state), "resolved");
}

TEST_F(RuleEngineTest, FlappingNotifiesOnceThenGoesQuiet) {
  options_.flap_threshold = 4;
  options_.flap_window = absl::Minutes(10);
  engine_ = std::make_unique<RuleEngine>(storage_.get(), &clock_, options_);
  Rule r = MakeRule("cpu_critical", "cpu_usage", Comparison::kGt, 90, "critical");
  r.cooldown = absl::ZeroDuration();
  engine_->SetRules({r});
  int firing = 0, resolved = 0, flapping = 0;
  for (int i = 0; i < 10; ++i) {
    auto c = Feed(cpu_, kT0 + i * 10'000, i % 2 == 0 ? 95 : 10);
    firing += Count(c, NotifyKind::kFiring);
    resolved += Count(c, NotifyKind::kResolved);
    flapping += Count(c, NotifyKind::kFlapping);
  }
  EXPECT_EQ(flapping, 1);
  EXPECT_EQ(firing + resolved, 4);  // the changes before it was seen to flap
  // Quiet for a whole window: flapping ends and the current state is told.
  Feed(cpu_, kT0 + 100'000, 95);
  clock_.Set(absl::FromUnixMillis(kT0 + 100'000 + 601'000));
  Feed(cpu_, clock_.NowMs(), 95);
  auto t = engine_->Tick({});
  EXPECT_EQ(Count(t, NotifyKind::kFiring) + Count(t, NotifyKind::kRepeat), 1);
}

TEST_F(RuleEngineTest, RestartRestoresStateWithoutANewNotification) {
  engine_->SetRules({MakeRule("cpu_critical", "cpu_usage", Comparison::kGt, 90, "critical")});
  auto c = Feed(cpu_, kT0, 95);
  ASSERT_EQ(Count(c, NotifyKind::kFiring), 1);
  std::vector<rollguard::v1::Alert> saved = engine_->Active();
  // A new engine (a restarted collector) given the stored alerts.
  RuleEngine restarted(storage_.get(), &clock_, options_);
  restarted.SetRules({MakeRule("cpu_critical", "cpu_usage", Comparison::kGt, 90, "critical")});
  restarted.Restore(saved);
  clock_.Advance(absl::Seconds(30));
  StoredSample s{cpu_, clock_.NowMs(), 96};
  EXPECT_TRUE(restarted.Observe({&s, 1}).empty());
  EXPECT_TRUE(restarted.Tick({}).empty());  // inside the cooldown: nothing re-sent
  ASSERT_EQ(restarted.Active().size(), 1u);
  EXPECT_EQ(restarted.Active()[0].state(), "firing");
}

TEST_F(RuleEngineTest, SilencedAlertsChangeStateButDoNotNotify) {
  engine_->SetRules({MakeRule("cpu_critical", "cpu_usage", Comparison::kGt, 90, "critical")});
  rollguard::v1::Silence s;
  (*s.mutable_matchers())["host"] = "bot-1";
  s.set_starts_ms(kT0 - 1);
  s.set_ends_ms(kT0 + 60'000);
  engine_->SetSilences({s});
  auto c = Feed(cpu_, kT0, 95);
  EXPECT_EQ(Name(c.back().to_state), "firing");
  EXPECT_TRUE(c.back().alert.silenced());
  EXPECT_EQ(Count(c, NotifyKind::kFiring), 0);
  // When the silence ends, the still-firing alert is announced.
  clock_.Set(absl::FromUnixMillis(kT0 + 61'000));
  Feed(cpu_, kT0 + 61'000, 95);
  EXPECT_EQ(Count(engine_->Tick({}), NotifyKind::kFiring), 1);
}

TEST_F(RuleEngineTest, SeriesAndHostSelectors) {
  SeriesId op = storage_->Intern({"error_rate", {{"host", "bot-1"}, {"op", "create_channels"}}});
  SeriesId all = storage_->Intern({"error_rate", {{"host", "bot-1"}}});
  SeriesId other_host = storage_->Intern({"error_rate", {{"host", "bot-2"}}});
  Rule any_op = MakeRule("op_errors", "error_rate", Comparison::kGt, 50, "high");
  any_op.series = {{"op", "*"}};
  Rule prod = MakeRule("prod_errors", "error_rate", Comparison::kGt, 50, "critical");
  prod.hosts = {{"env", "prod"}};
  engine_->SetHostLabels("bot-1", {{"env", "prod"}});
  engine_->SetRules({any_op, prod});
  auto c1 = Feed(op, kT0, 60);
  ASSERT_FALSE(c1.empty());
  EXPECT_EQ(c1.back().alert.id(), "bot-1/op_errors{op=create_channels}");
  auto c2 = Feed(all, kT0, 60);
  ASSERT_FALSE(c2.empty());
  EXPECT_EQ(c2.back().alert.rule(), "prod_errors");
  EXPECT_TRUE(Feed(other_host, kT0, 60).empty());  // bot-2 is not env=prod
}

// A hello with new labels re-resolves that host's series (and only once:
// no rule matched twice), and another host's hello leaves them alone.
TEST_F(RuleEngineTest, NewHostLabelsReResolveThatHostsSeries) {
  SeriesId one = storage_->Intern({"error_rate", {{"host", "bot-1"}}});
  SeriesId two = storage_->Intern({"error_rate", {{"host", "bot-2"}}});
  Rule prod = MakeRule("prod_errors", "error_rate", Comparison::kGt, 50, "critical");
  prod.hosts = {{"env", "prod"}};
  engine_->SetRules({prod});
  engine_->SetHostLabels("bot-1", {{"env", "prod"}});
  engine_->SetHostLabels("bot-2", {{"env", "staging"}});
  const size_t changes_for_one = Feed(one, kT0, 60).size();
  EXPECT_GT(changes_for_one, 0u);
  EXPECT_TRUE(Feed(two, kT0, 60).empty());             // staging: not selected
  engine_->SetHostLabels("bot-3", {{"env", "prod"}});  // someone else's hello
  engine_->SetHostLabels("bot-2", {{"env", "prod"}});  // bot-2 moved to prod
  auto c = Feed(two, kT0 + 1000, 60);
  EXPECT_EQ(c.size(), changes_for_one);  // the rule matched once, not twice
  for (const auto& x : c) EXPECT_EQ(x.alert.id(), "bot-2/prod_errors");
  EXPECT_EQ(engine_->Active().size(), 2u);
  // bot-1's series was not disturbed: the same value changes nothing.
  EXPECT_TRUE(Feed(one, kT0 + 2000, 60).empty());
}

TEST(RulesFileTest, ShippedDefaultsReproduceTheRunbookTable) {
  const auto& rules = DefaultRules();
  ASSERT_EQ(rules.size(), 16u);
  std::map<std::string, double> t;
  for (const auto& r : rules) t[r.metric + "/" + r.severity] = r.threshold;
  EXPECT_EQ(t["cpu_usage/critical"], 90);
  EXPECT_EQ(t["memory_usage/critical"], 85);
  EXPECT_EQ(t["error_rate/critical"], 50);
  EXPECT_EQ(t["avg_response_time/critical"], 30);
  EXPECT_EQ(t["mcp_downtime/critical"], 300);
  EXPECT_EQ(t["cpu_usage/warning"], 70);
  EXPECT_EQ(t["memory_usage/warning"], 70);
  EXPECT_EQ(t["error_rate/warning"], 20);
  EXPECT_EQ(t["avg_response_time/warning"], 10);
  EXPECT_EQ(t["mcp_downtime/warning"], 60);
  EXPECT_EQ(t["cpu_usage/info"], 50);
  EXPECT_EQ(t["memory_usage/info"], 50);
  EXPECT_EQ(t["error_rate/info"], 5);
  EXPECT_EQ(t["avg_response_time/info"], 5);
  EXPECT_EQ(t["mcp_downtime/info"], 30);
  EXPECT_EQ(t["bot_up/critical"], 1);
  for (const auto& r : rules) EXPECT_EQ(r.cooldown, absl::Minutes(5)) << r.name;
}

TEST(RulesFileTest, BadFilesNameFileLineAndReason) {
  struct Case {
    std::string yaml, expect;
  } cases[] = {
      {"rules:\n  - {name: a, metric: m, op: '=>', threshold: 1, severity: info}\n",
       "r.yaml:2: rules[0].op: '=>' is not one of > >= < <= == !="},
      {"rules:\n  - {name: a, metric: m, op: '>', threshold: lots, severity: info}\n",
       "r.yaml:2: rules[0].threshold: 'lots' is not a number"},
      {"rules:\n  - {name: a, metric: m, op: '>', threshold: 1, severity: urgent}\n",
       "rules[0].severity: 'urgent' is not one of"},
      {"rules:\n  - {metric: m, op: '>', threshold: 1, severity: info}\n",
       "rules[0].name: is required"},
      {"rules:\n  - {name: a, metric: m, op: '>', threshold: 1, severity: info, for: soon}\n",
       "rules[0].for: invalid duration 'soon'"},
      {"rules:\n  - {name: a, metric: m, op: '>', threshold: 1, severity: info}\n"
       "  - {name: a, metric: m, op: '<', threshold: 1, severity: info}\n",
       "r.yaml:3: rules[1].name: duplicate rule 'a'"},
      {"rulez: []\n", "r.yaml:1: unknown key 'rulez'"},
  };
  for (const auto& tc : cases) {
    auto r = ParseRules(tc.yaml, "r.yaml");
    ASSERT_FALSE(r.ok()) << tc.yaml;
    EXPECT_NE(r.status().message().find(tc.expect), std::string::npos)
        << "got: " << r.status().message();
  }
}

// An agent whose clock is 3 minutes behind (stale_after is 2m) reports every
// 10 s: its alert stays firing, without "no data" resolutions and re-fires.
TEST_F(RuleEngineTest, ASkewedAgentClockDoesNotMakeAlertsFlap) {
  engine_->SetRules({MakeRule("cpu_critical", "cpu_usage", Comparison::kGt, 90, "critical")});
  const int64_t skew = -3 * 60'000;
  int fired = 0, resolved = 0;
  for (int i = 0; i < 30; ++i) {
    const int64_t now = kT0 + i * 10'000;
    for (const auto& c : FeedAt(now, cpu_, now + skew, 95))
      fired += c.to_state == AlertState::kFiring && c.from_state != AlertState::kFiring;
    for (const auto& c : engine_->Tick({})) resolved += c.to_state == AlertState::kResolved;
  }
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(resolved, 0);
  ASSERT_EQ(engine_->Active().size(), 1u);
  // When the agent goes silent, the alert resolves stale_after after the last
  // arrival, whatever its sample time said.
  clock_.Set(absl::FromUnixMillis(kT0 + 29 * 10'000 + 2 * 60'000 + 1));
  auto stale = engine_->Tick({});
  ASSERT_EQ(stale.size(), 1u);
  EXPECT_EQ(stale[0].alert.resolve_reason(), "no data");
}

TEST_F(RuleEngineTest, ANaNSampleIsNoDataAndNeverResolvesAFiringAlert) {
  engine_->SetRules({MakeRule("cpu_critical", "cpu_usage", Comparison::kGt, 90, "critical")});
  Feed(cpu_, kT0, 95);
  ASSERT_EQ(engine_->Active().size(), 1u);
  EXPECT_TRUE(Feed(cpu_, kT0 + 10'000, std::nan("")).empty());
  ASSERT_EQ(engine_->Active().size(), 1u);
  EXPECT_EQ(Name(StateOf(engine_->Active()[0])), "firing");
  EXPECT_EQ(engine_->Active()[0].value(), 95);
}

}  // namespace
}  // namespace rollguard::collector
