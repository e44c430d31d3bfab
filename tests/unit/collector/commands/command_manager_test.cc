// Commands and rollouts in the collector, against a real RocksDB folder and a
// recording stand-in for the agent's stream: queued while offline, sent on
// hello, offered again until answered, merged updates, expiry, audit, and
// rollouts' parallelism and halting.
#include "collector/commands/command_manager.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "collector/commands/rollout_manager.h"
#include "collector/storage/record_messages.h"
#include "tests/fakes/memory_storage.h"
#include "tests/fakes/recording_agent_link.h"
#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

using rollguard::v1::CommandState;
using rollguard::v1::CommandUpdate;

using RecordingLink = rollguard::testing::RecordingAgentLink;

CommandUpdate Update(const std::string& id, CommandState state, int step = 0, int total = 0,
                     const std::string& step_status = "ok") {
  CommandUpdate u;
  u.set_command_id(id);
  u.set_state(state);
  if (step > 0) {
    auto* s = u.add_steps();
    s->set_index(step);
    s->set_total(total);
    s->set_name(absl::StrCat("step", step));
    s->set_status(step_status);
  }
  return u;
}

class CommandManagerTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    // In memory: these tests are about the managers' logic; a "restart" is new
    // managers over the same storage.
    if (!storage_) storage_ = std::make_unique<rollguard::testing::MemoryStorage>();
    registry_ = std::make_unique<HostRegistry>(storage_.get(), &clock_);
    ASSERT_TRUE(registry_->Load().ok());
    audit_ = std::make_unique<AuditLog>(&storage_->records());
    commands_ = std::make_unique<CommandManager>(&storage_->records(), audit_.get(), &clock_);
    ASSERT_TRUE(commands_->Load().ok());
    rollouts_ =
        std::make_unique<RolloutManager>(&storage_->records(), commands_.get(), registry_.get(),
                                         audit_.get(), &clock_, absl::Minutes(15));
    ASSERT_TRUE(rollouts_->Load().ok());
  }
  void Close() {
    rollouts_.reset();
    commands_.reset();
    audit_.reset();
    registry_.reset();
  }
  void Known(const std::string& host, std::map<std::string, std::string> labels = {}) {
    rollguard::v1::Hello hello;
    hello.set_host_id(host);
    for (const auto& [k, v] : labels) (*hello.mutable_labels())[k] = v;
    ASSERT_TRUE(registry_->OnConnect(hello).ok());
  }
  rollguard::v1::CommandRecord Submit(const std::string& host, const std::string& playbook,
                                      absl::Duration queue_for = absl::Minutes(5)) {
    rollguard::v1::Command c;
    c.set_playbook(playbook);
    c.set_requested_by("tester");
    auto r = commands_->Submit(c, host, queue_for);
    EXPECT_TRUE(r.ok()) << r.status();
    return *r;
  }
  CommandState StateOf(const std::string& id) { return commands_->Get(id)->state(); }

  FakeClock clock_{absl::FromUnixMillis(1'800'000'000'000)};
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<HostRegistry> registry_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<CommandManager> commands_;
  std::unique_ptr<RolloutManager> rollouts_;
};

TEST_F(CommandManagerTest, QueuedWhileOfflineThenSentOnHello) {
  auto rec = Submit("bot-1", "full-rollback");
  EXPECT_EQ(rec.state(), rollguard::v1::QUEUED);
  EXPECT_EQ(rec.command().id().substr(0, 2), "c-");
  RecordingLink link;
  commands_->OnAgentConnected("bot-1", {"full-rollback"}, &link);
  ASSERT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(link.sent[0].id(), rec.command().id());
  EXPECT_EQ(StateOf(rec.command().id()), rollguard::v1::SENT);
}

TEST_F(CommandManagerTest, SentAtOnceWhenConnectedAndOfferedAgainAfterReconnect) {
  RecordingLink first;
  commands_->OnAgentConnected("bot-1", {}, &first);
  auto rec = Submit("bot-1", "disable-soccer");
  ASSERT_EQ(first.sent.size(), 1u);
  commands_->OnUpdate("bot-1", Update(rec.command().id(), rollguard::v1::RUNNING, 1, 3, "ok"));
  commands_->OnAgentDisconnected("bot-1", &first);
  RecordingLink second;
  commands_->OnAgentConnected("bot-1", {}, &second);
  // Not answered yet: offered again (the agent dedupes by id).
  ASSERT_EQ(second.sent.size(), 1u);
  EXPECT_EQ(commands_->Get(rec.command().id())->deliveries(), 2u);
  EXPECT_EQ(StateOf(rec.command().id()), rollguard::v1::RUNNING);
}

TEST_F(CommandManagerTest, UpdatesMergeByStepAndAFinalStateIsKept) {
  RecordingLink link;
  commands_->OnAgentConnected("bot-1", {}, &link);
  std::string id = Submit("bot-1", "full-rollback").command().id();
  commands_->OnUpdate("bot-1", Update(id, rollguard::v1::RUNNING, 1, 2, "running"));
  commands_->OnUpdate("bot-1", Update(id, rollguard::v1::RUNNING, 1, 2, "ok"));
  commands_->OnUpdate("bot-1", Update(id, rollguard::v1::RUNNING, 2, 2, "ok"));
  commands_->OnUpdate("bot-1", Update(id, rollguard::v1::SUCCEEDED));
  // A late, repeated progress update does not reopen it.
  commands_->OnUpdate("bot-1", Update(id, rollguard::v1::RUNNING, 2, 2, "ok"));
  auto rec = *commands_->Get(id);
  EXPECT_EQ(rec.state(), rollguard::v1::SUCCEEDED);
  ASSERT_EQ(rec.steps_size(), 2);
  EXPECT_EQ(rec.steps(0).status(), "ok");
  EXPECT_EQ(rec.steps(1).index(), 2);
  // A finished command is not offered again.
  commands_->OnAgentDisconnected("bot-1", &link);
  RecordingLink again;
  commands_->OnAgentConnected("bot-1", {}, &again);
  EXPECT_TRUE(again.sent.empty());
}

TEST_F(CommandManagerTest, AnotherHostCannotReportOnACommand) {
  std::string id = Submit("bot-1", "verify").command().id();
  commands_->OnUpdate("bot-2", Update(id, rollguard::v1::FAILED));
  EXPECT_EQ(StateOf(id), rollguard::v1::QUEUED);
}

TEST_F(CommandManagerTest, ExpiresAtItsDeadlineUnlessTheAgentAnswersLater) {
  std::string id = Submit("bot-1", "verify", absl::Seconds(30)).command().id();
  clock_.Advance(absl::Seconds(29));
  commands_->Tick();
  EXPECT_EQ(StateOf(id), rollguard::v1::QUEUED);
  clock_.Advance(absl::Seconds(2));
  commands_->Tick();
  EXPECT_EQ(StateOf(id), rollguard::v1::EXPIRED);
  RecordingLink link;
  commands_->OnAgentConnected("bot-1", {}, &link);
  EXPECT_TRUE(link.sent.empty());
  // The agent's own answer wins over the expiry guessed here.
  commands_->OnUpdate("bot-1", Update(id, rollguard::v1::SUCCEEDED));
  EXPECT_EQ(StateOf(id), rollguard::v1::SUCCEEDED);
}

TEST_F(CommandManagerTest, AFinishedCommandIsImmutable) {
  RecordingLink link;
  commands_->OnAgentConnected("bot-1", {}, &link);
  std::string id = Submit("bot-1", "full-rollback").command().id();
  commands_->OnUpdate("bot-1", Update(id, rollguard::v1::RUNNING, 1, 1, "ok"));
  commands_->OnUpdate("bot-1", Update(id, rollguard::v1::SUCCEEDED));
  // A later update (replayed, or forged by a compromised agent) cannot
  // rewrite what the record says happened, nor flip its outcome.
  CommandUpdate rewrite = Update(id, rollguard::v1::FAILED, 1, 1, "failed");
  rewrite.mutable_steps(0)->set_output("rm -rf / (never happened)");
  rewrite.set_error("forged");
  commands_->OnUpdate("bot-1", rewrite);
  auto rec = *commands_->Get(id);
  EXPECT_EQ(rec.state(), rollguard::v1::SUCCEEDED);
  ASSERT_EQ(rec.steps_size(), 1);
  EXPECT_EQ(rec.steps(0).status(), "ok");
  EXPECT_EQ(rec.steps(0).output(), "");
  EXPECT_EQ(rec.error(), "");
}

TEST_F(CommandManagerTest, StepReportsAreBoundedInCountAndSize) {
  RecordingLink link;
  commands_->OnAgentConnected("bot-1", {}, &link);
  std::string id = Submit("bot-1", "full-rollback").command().id();
  CommandUpdate flood = Update(id, rollguard::v1::RUNNING);
  for (int i = -5; i < 1000; ++i) {
    auto* st = flood.add_steps();
    st->set_index(i);
    st->set_name("s");
    st->set_output(std::string(10000, 'x'));
  }
  commands_->OnUpdate("bot-1", flood);
  auto rec = *commands_->Get(id);
  EXPECT_EQ(rec.steps_size(), kMaxCommandSteps);
  EXPECT_EQ(rec.steps(0).index(), 1);
  EXPECT_LE(rec.steps(0).output().size(), kMaxStepOutput + 16);
}

TEST_F(CommandManagerTest, ARunningCommandWhoseHostNeverReturnsIsLost) {
  std::vector<std::string> finished;
  commands_->AddListener(
      [&](const rollguard::v1::CommandRecord& r) { finished.push_back(r.command().id()); });
  RecordingLink link;
  commands_->OnAgentConnected("bot-1", {}, &link);
  std::string id = Submit("bot-1", "full-rollback").command().id();
  commands_->OnUpdate("bot-1", Update(id, rollguard::v1::RUNNING, 1, 3, "ok"));
  // Connected and quiet (a long step): still running, however long.
  clock_.Advance(absl::Hours(2));
  commands_->Tick();
  EXPECT_EQ(StateOf(id), rollguard::v1::RUNNING);
  commands_->OnUpdate("bot-1", Update(id, rollguard::v1::RUNNING, 2, 3, "ok"));
  commands_->OnAgentDisconnected("bot-1", &link);
  clock_.Advance(absl::Minutes(14));
  commands_->Tick();
  EXPECT_EQ(StateOf(id), rollguard::v1::RUNNING);
  clock_.Advance(absl::Minutes(2));
  commands_->Tick();
  auto rec = *commands_->Get(id);
  EXPECT_EQ(rec.state(), rollguard::v1::LOST);
  EXPECT_NE(rec.error().find("went away while it ran and was not back within 15m"),
            std::string::npos)
      << rec.error();
  EXPECT_EQ(finished, std::vector<std::string>{id});  // its rollout and slot move on
  // The agent comes back with its real answer: that wins.
  RecordingLink back;
  commands_->OnAgentConnected("bot-1", {}, &back);
  commands_->OnUpdate("bot-1", Update(id, rollguard::v1::SUCCEEDED));
  EXPECT_EQ(StateOf(id), rollguard::v1::SUCCEEDED);
  // ...recorded, but listeners heard it finish once (no second escalation).
  EXPECT_EQ(finished.size(), 1u);
}

// A long quiet step (no update for an hour) and then a short disconnect:
// the command is not lost at once; lost_after counts from the disconnect.
TEST_F(CommandManagerTest, LostAfterCountsFromWhenTheHostWentNotFromTheLastUpdate) {
  RecordingLink link;
  commands_->OnAgentConnected("bot-1", {}, &link);
  std::string id = Submit("bot-1", "full-rollback").command().id();
  commands_->OnUpdate("bot-1", Update(id, rollguard::v1::RUNNING, 1, 3, "ok"));
  clock_.Advance(absl::Hours(1));
  commands_->OnAgentDisconnected("bot-1", &link);
  clock_.Advance(absl::Seconds(30));
  commands_->Tick();
  EXPECT_EQ(StateOf(id), rollguard::v1::RUNNING);
  // Back within lost_after, gone again: the clock restarts.
  RecordingLink again;
  commands_->OnAgentConnected("bot-1", {}, &again);
  clock_.Advance(absl::Minutes(10));
  commands_->OnAgentDisconnected("bot-1", &again);
  clock_.Advance(absl::Minutes(14));
  commands_->Tick();
  EXPECT_EQ(StateOf(id), rollguard::v1::RUNNING);
  clock_.Advance(absl::Minutes(2));
  commands_->Tick();
  EXPECT_EQ(StateOf(id), rollguard::v1::LOST);
}

// Step progress within a state is stored once a second (Tick), not on every
// update: each write held the manager's lock on gRPC's threads. A change of
// state is stored at once, a final one before anyone hears of it.
TEST_F(CommandManagerTest, StepProgressIsStoredByTickStateChangesAtOnce) {
  RecordingLink link;
  commands_->OnAgentConnected("bot-1", {}, &link);
  std::string id = Submit("bot-1", "full-rollback").command().id();
  auto stored = [&] {
    auto r = GetMessage<rollguard::v1::CommandRecord>(storage_->records(), Table::kCommands, id);
    EXPECT_TRUE(r.ok() && r->has_value());
    return **r;
  };
  commands_->OnUpdate("bot-1", Update(id, rollguard::v1::RUNNING, 1, 3, "ok"));
  EXPECT_EQ(stored().state(), rollguard::v1::RUNNING);
  commands_->OnUpdate("bot-1", Update(id, rollguard::v1::RUNNING, 2, 3, "ok"));
  EXPECT_EQ(stored().steps_size(), 1) << "step 2 was written at once";
  EXPECT_EQ(commands_->Get(id)->steps_size(), 2) << "but it is known at once";
  commands_->Tick();
  EXPECT_EQ(stored().steps_size(), 2);
  commands_->OnUpdate("bot-1", Update(id, rollguard::v1::SUCCEEDED, 3, 3, "ok"));
  EXPECT_EQ(stored().state(), rollguard::v1::SUCCEEDED);
  EXPECT_EQ(stored().steps_size(), 3);
}

// After a collector restart nobody is connected yet: a command that was
// running (last update long ago) is not lost at the first tick.
TEST_F(CommandManagerTest, AfterARestartLostAfterCountsFromTheStart) {
  RecordingLink link;
  commands_->OnAgentConnected("bot-1", {}, &link);
  std::string id = Submit("bot-1", "full-rollback").command().id();
  commands_->OnUpdate("bot-1", Update(id, rollguard::v1::RUNNING, 1, 3, "ok"));
  clock_.Advance(absl::Hours(1));  // a quiet step, then the collector restarts
  CommandManager restarted(&storage_->records(), audit_.get(), &clock_);
  ASSERT_TRUE(restarted.Load().ok());
  restarted.Tick();
  EXPECT_EQ(restarted.Get(id)->state(), rollguard::v1::RUNNING);
  clock_.Advance(absl::Minutes(16));
  restarted.Tick();
  EXPECT_EQ(restarted.Get(id)->state(), rollguard::v1::LOST);
}

TEST(CommandIdsTest, SixtyFourRandomBitsKeepIdsOfOneSecondUnique) {
  // 24 random bits a second collided for ~3% of 1,000-host rollouts; here
  // 200,000 ids share one second.
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  std::set<std::string> ids;
  for (int i = 0; i < 200'000; ++i) ids.insert(NewTimeOrderedId("c", now));
  EXPECT_EQ(ids.size(), 200'000u);
  EXPECT_EQ(ids.begin()->size(), std::string("c-20270115-080000-").size() + 16);
}

TEST_F(CommandManagerTest, UnfinishedCommandsSurviveARestart) {
  std::string id = Submit("bot-1", "full-rollback").command().id();
  Close();
  Open();
  RecordingLink link;
  commands_->OnAgentConnected("bot-1", {}, &link);
  ASSERT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(link.sent[0].id(), id);
}

TEST_F(CommandManagerTest, AuditKeepsWhoWhyAndTheOutcome) {
  RecordingLink link;
  commands_->OnAgentConnected("bot-1", {}, &link);
  rollguard::v1::Command c;
  c.set_playbook("reduce-load");
  c.set_requested_by("alice@ops");
  c.set_reason("p95 over 10s");
  std::string id = commands_->Submit(c, "bot-1", absl::Minutes(1))->command().id();
  commands_->OnUpdate("bot-1", Update(id, rollguard::v1::FAILED));
  auto audit = *audit_->List(0, "bot-1", 0);
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].actor(), "alice@ops");
  EXPECT_EQ(audit[0].reason(), "p95 over 10s");
  EXPECT_EQ(audit[0].outcome(), "requested");
  EXPECT_EQ(audit[1].outcome(), "failed");
  EXPECT_EQ(audit[1].command_id(), id);
}

TEST_F(CommandManagerTest, ListFiltersByHostAndTime) {
  Submit("bot-1", "verify");
  clock_.Advance(absl::Minutes(10));
  Submit("bot-2", "verify");
  Submit("bot-1", "start");
  auto all = commands_->List("", 0, 0)->commands;
  EXPECT_EQ(all.size(), 3u);
  auto recent = commands_->List("bot-1", absl::ToUnixMillis(clock_.Now()) - 1000, 0)->commands;
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0].command().playbook(), "start");
  EXPECT_EQ(commands_->List("bot-1", 0, 0)->commands.size(), 2u);
  EXPECT_EQ(commands_->List("bot-3", 0, 0)->commands.size(), 0u);
}

// A store written before the host index existed: Load builds the index, so
// `rollguard commands --host` still finds the old commands.
TEST_F(CommandManagerTest, LoadIndexesCommandsStoredBeforeTheIndex) {
  rollguard::v1::CommandRecord old;
  old.mutable_command()->set_id(NewTimeOrderedId("c", clock_.Now()));
  old.set_host_id("bot-9");
  old.set_state(rollguard::v1::SUCCEEDED);
  ASSERT_TRUE(
      storage_->records().Put(Table::kCommands, old.command().id(), old.SerializeAsString()).ok());
  // The fixture's first Load built (an empty) index and marked it built: a
  // store from before the index has no marker.
  ASSERT_TRUE(storage_->records().Delete(Table::kCommandsByHost, "\x01built").ok());
  CommandManager restarted(&storage_->records(), audit_.get(), &clock_);
  ASSERT_TRUE(restarted.Load().ok());
  auto page = restarted.List("bot-9", 0, 0);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->commands.size(), 1u);
  EXPECT_EQ(page->commands[0].command().id(), old.command().id());
  // Built once: a command stored without its entry later is not indexed at
  // the next start (the marker says the build finished).
  rollguard::v1::CommandRecord later = old;
  later.mutable_command()->set_id(NewTimeOrderedId("c", clock_.Now() + absl::Seconds(1)));
  ASSERT_TRUE(storage_->records()
                  .Put(Table::kCommands, later.command().id(), later.SerializeAsString())
                  .ok());
  CommandManager again(&storage_->records(), audit_.get(), &clock_);
  ASSERT_TRUE(again.Load().ok());
  EXPECT_EQ(again.List("bot-9", 0, 0)->commands.size(), 1u);
}

// Pages go back in time: the newest `limit` first, then older ones through
// next_before_id, for all hosts and for one, until nothing is left.
TEST_F(CommandManagerTest, ListPagesBackwards) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(Submit("bot-1", "verify").command().id());
    Submit("bot-2", "verify");
    clock_.Advance(absl::Seconds(2));
  }
  for (const std::string host : {"", "bot-1"}) {
    const size_t per_host = host.empty() ? 10 : 5;
    std::vector<std::string> seen;
    std::string before;
    for (int page = 0; page < 10; ++page) {
      auto got = commands_->List(host, 0, 3, before);
      ASSERT_TRUE(got.ok()) << got.status();
      ASSERT_LE(got->commands.size(), 3u);
      for (auto it = got->commands.rbegin(); it != got->commands.rend(); ++it) {
        seen.push_back(it->command().id());
      }
      before = got->next_before_id;
      if (before.empty()) break;
    }
    ASSERT_EQ(seen.size(), per_host) << "host '" << host << "'";
    EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend())) << "newest first, page by page";
    if (!host.empty()) {
      EXPECT_EQ(seen.front(), ids.back());
    }
  }
}

// --- rollouts ---

rollguard::v1::StartRolloutRequest Request(std::vector<std::string> hosts, uint32_t parallel,
                                           bool keep_going = false) {
  rollguard::v1::StartRolloutRequest req;
  req.set_playbook("full-rollback");
  for (const auto& h : hosts) req.add_host_ids(h);
  req.set_max_parallel(parallel);
  req.set_continue_on_failure(keep_going);
  req.set_requested_by("tester");
  return req;
}

class RolloutTest : public CommandManagerTest {
 protected:
  void SetUp() override {
    CommandManagerTest::SetUp();
    for (const char* h : {"a", "b", "c", "d", "e"}) {
      Known(h, {{"role", std::string(h) < "c" ? "canary" : "main"}});
      commands_->OnAgentConnected(h, {"full-rollback", "verify"}, &links_[h]);
    }
  }
  void Finish(const std::string& host, CommandState state) {
    ASSERT_FALSE(links_[host].sent.empty()) << host;
    commands_->OnUpdate(host, Update(links_[host].sent.back().id(), state));
  }
  std::map<std::string, RecordingLink> links_;
};

TEST_F(RolloutTest, AtMostMaxParallelAtATimeAndTheNextAsOneFinishes) {
  auto r = rollouts_->Start(Request({"a", "b", "c", "d", "e"}, 2));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(links_["a"].sent.size() + links_["b"].sent.size(), 2u);
  EXPECT_TRUE(links_["c"].sent.empty());
  Finish("a", rollguard::v1::SUCCEEDED);
  EXPECT_EQ(links_["c"].sent.size(), 1u);
  EXPECT_TRUE(links_["d"].sent.empty());
  for (const char* h : {"b", "c"}) Finish(h, rollguard::v1::SUCCEEDED);
  for (const char* h : {"d", "e"}) Finish(h, rollguard::v1::SUCCEEDED);
  auto status = *rollouts_->Get(r->id());
  EXPECT_EQ(status.rollout().state(), "succeeded");
  EXPECT_EQ(status.commands_size(), 5);
}

// A store that refuses to record the dispatch to one host (a full disk).
class RefusingRecordStore : public rollguard::testing::MemoryRecordStore {
 public:
  absl::Status Put(Table table, absl::string_view key, absl::string_view value) override {
    if (table == Table::kRolloutHosts && absl::EndsWith(key, refuse_host)) {
      return absl::UnavailableError("disk full");
    }
    return MemoryRecordStore::Put(table, key, value);
  }
  std::string refuse_host;
};
class RefusingStorage : public rollguard::testing::MemoryStorage {
 public:
  RecordStore& records() override { return records_; }
  RefusingRecordStore records_;
};

class RolloutStoreFailureTest : public RolloutTest {
 protected:
  void SetUp() override {
    auto refusing = std::make_unique<RefusingStorage>();
    refusing->records_.refuse_host = std::string("\0b", 2);
    storage_ = std::move(refusing);
    RolloutTest::SetUp();
  }
};

// A dispatch that cannot be stored halts the rollout for good: it used to
// end SUCCEEDED when nothing else ran (host b never got the playbook) ...
TEST_F(RolloutStoreFailureTest, AnUnstoredDispatchEndsHaltedNotSucceeded) {
  auto r = rollouts_->Start(Request({"a", "b", "c"}, 1));
  ASSERT_TRUE(r.ok()) << r.status();
  Finish("a", rollguard::v1::SUCCEEDED);
  auto status = *rollouts_->Get(r->id());
  EXPECT_EQ(status.rollout().state(), "halted");
  EXPECT_NE(status.rollout().halt_reason().find("storing the command for b failed"),
            std::string::npos)
      << status.rollout().halt_reason();
  EXPECT_TRUE(links_["c"].sent.empty());
}

// ... or ran on past the halt when another host was still running, skipped
// b for good and stayed RUNNING forever.
TEST_F(RolloutStoreFailureTest, AnUnstoredDispatchIsNotForgottenByTheNextFinish) {
  auto r = rollouts_->Start(Request({"a", "b", "c", "d"}, 2));
  ASSERT_TRUE(r.ok()) << r.status();
  Finish("a", rollguard::v1::SUCCEEDED);
  EXPECT_TRUE(links_["c"].sent.empty()) << "dispatched past a halt";
  EXPECT_TRUE(links_["d"].sent.empty());
  EXPECT_EQ(rollouts_->Get(r->id())->rollout().state(), "halted");
}

TEST_F(RolloutTest, AFailureHaltsTheRolloutUnlessToldToContinue) {
  auto r = rollouts_->Start(Request({"a", "b", "c"}, 1));
  ASSERT_TRUE(r.ok());
  Finish("a", rollguard::v1::FAILED);
  EXPECT_TRUE(links_["b"].sent.empty());
  auto status = *rollouts_->Get(r->id());
  EXPECT_EQ(status.rollout().state(), "halted");
  EXPECT_NE(status.rollout().halt_reason().find("host a failed"), std::string::npos);

  auto keep = rollouts_->Start(Request({"c", "d"}, 1, /*keep_going=*/true));
  ASSERT_TRUE(keep.ok());
  Finish("c", rollguard::v1::REFUSED);
  Finish("d", rollguard::v1::SUCCEEDED);
  EXPECT_EQ(rollouts_->Get(keep->id())->rollout().state(), "failed");
}

// A host guessed LOST that answers SUCCEEDED later: its command says
// SUCCEEDED, and so do the rollout's counters, whether the rollout is still
// running or already finished (they used to keep counting it failed).
TEST_F(RolloutTest, ALateAnswerAfterLostCorrectsTheRolloutCounters) {
  auto lose = [&](const std::string& host) {
    const std::string id = links_[host].sent.back().id();
    commands_->OnUpdate(host, Update(id, rollguard::v1::RUNNING, 1, 3));
    commands_->OnAgentDisconnected(host, &links_[host]);
    return id;
  };
  // Running: a is lost while b still runs.
  auto r = rollouts_->Start(Request({"a", "b", "c"}, 2, /*keep_going=*/true));
  ASSERT_TRUE(r.ok()) << r.status();
  const std::string a = lose("a");
  commands_->OnUpdate("b", Update(links_["b"].sent.back().id(), rollguard::v1::RUNNING, 1, 3));
  clock_.Advance(absl::Minutes(16));
  commands_->Tick();
  ASSERT_EQ(StateOf(a), rollguard::v1::LOST);
  auto during = rollouts_->Get(r->id(), /*summary=*/true)->rollout();
  EXPECT_EQ(during.failed(), 1u);
  commands_->OnAgentConnected("a", {"full-rollback"}, &links_["a"]);
  commands_->OnUpdate("a", Update(a, rollguard::v1::SUCCEEDED));
  during = rollouts_->Get(r->id(), /*summary=*/true)->rollout();
  EXPECT_EQ(during.failed(), 0u);
  EXPECT_EQ(during.succeeded(), 1u);
  EXPECT_EQ(during.failed_hosts_size(), 0);
  Finish("b", rollguard::v1::SUCCEEDED);
  Finish("c", rollguard::v1::SUCCEEDED);
  auto done = rollouts_->Get(r->id())->rollout();
  EXPECT_EQ(done.succeeded(), 3u);
  EXPECT_EQ(done.failed(), 0u);

  // Finished: d is lost, e succeeds, the rollout ends; then d answers.
  auto r2 = rollouts_->Start(Request({"d", "e"}, 2, /*keep_going=*/true));
  ASSERT_TRUE(r2.ok()) << r2.status();
  const std::string d = lose("d");
  Finish("e", rollguard::v1::SUCCEEDED);
  clock_.Advance(absl::Minutes(16));
  commands_->Tick();
  auto ended = rollouts_->Get(r2->id())->rollout();
  ASSERT_EQ(ended.state(), "failed");
  EXPECT_EQ(ended.failed(), 1u);
  commands_->OnAgentConnected("d", {"full-rollback"}, &links_["d"]);
  commands_->OnUpdate("d", Update(d, rollguard::v1::SUCCEEDED));
  ended = rollouts_->Get(r2->id())->rollout();
  EXPECT_EQ(ended.succeeded(), 2u);
  EXPECT_EQ(ended.failed(), 0u);
  EXPECT_EQ(ended.failed_hosts_size(), 0);
  // Counted once: a repeated late answer changes nothing.
  commands_->OnUpdate("d", Update(d, rollguard::v1::SUCCEEDED));
  EXPECT_EQ(rollouts_->Get(r2->id())->rollout().succeeded(), 2u);
}

// A running rollout whose command record is damaged on disk: the collector
// still starts (it used to refuse), counts that host failed, and goes on.
TEST_F(RolloutTest, ADamagedCommandOfARunningRolloutDoesNotStopTheStart) {
  auto r = rollouts_->Start(Request({"a", "b", "c"}, 2, /*keep_going=*/true));
  ASSERT_TRUE(r.ok()) << r.status();
  const std::string a = links_["a"].sent.back().id();
  ASSERT_TRUE(storage_->records().Put(Table::kCommands, a, "\xff\xff not a record").ok());
  Close();
  Open();
  auto st = rollouts_->Get(r->id(), /*summary=*/true);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->rollout().failed(), 1u);
  ASSERT_EQ(st->rollout().failed_hosts_size(), 1);
  EXPECT_EQ(st->rollout().failed_hosts(0), "a");
  EXPECT_EQ(st->rollout().state(), "running");  // b still runs; c goes next
}

TEST_F(RolloutTest, SelectorAllAndRefusals) {
  rollguard::v1::StartRolloutRequest req = Request({}, 10);
  (*req.mutable_selector())["role"] = "canary";
  req.set_resolve_only(true);
  auto plan = rollouts_->Start(req);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->host_ids_size(), 2);
  EXPECT_TRUE(links_["a"].sent.empty()) << "resolve_only must start nothing";

  auto unknown = rollouts_->Start(Request({"a", "nope"}, 1));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("nope"), std::string::npos);

  auto bad = Request({"a"}, 1);
  bad.set_playbook("rm-rf");
  auto refused = rollouts_->Start(bad);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("has no playbook 'rm-rf'"), std::string::npos);

  auto both = Request({"a"}, 1);
  both.set_all(true);
  EXPECT_EQ(rollouts_->Start(both).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RolloutTest, ARunningRolloutContinuesAfterACollectorRestart) {
  auto r = rollouts_->Start(Request({"a", "b"}, 1));
  ASSERT_TRUE(r.ok());
  std::string first = links_["a"].sent.at(0).id();
  Close();
  Open();
  RecordingLink a, b;
  commands_->OnAgentConnected("a", {}, &a);
  commands_->OnAgentConnected("b", {}, &b);
  commands_->OnUpdate("a", Update(first, rollguard::v1::SUCCEEDED));
  ASSERT_EQ(b.sent.size(), 1u);
  commands_->OnUpdate("b", Update(b.sent[0].id(), rollguard::v1::SUCCEEDED));
  EXPECT_EQ(rollouts_->Get(r->id())->rollout().state(), "succeeded");
}

}  // namespace
}  // namespace rollguard::collector
