// Console sessions: token sign-in, expiry, the bound, and revocation.
#include "collector/console/session_store.h"

#include <gtest/gtest.h>

#include "collector/auth/token_store.h"
#include "common/tls/certificate.h"
#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

using rollguard::testing::TempDir;
using rollguard::testing::WriteTextFile;

class SessionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteTokens({{"olga", "operator", "olga-secret"}, {"vic", "viewer", "vic-secret"}});
    ASSERT_TRUE(tokens_.Reload().ok());
  }
  struct T {
    std::string name, role, token;
  };
  void WriteTokens(const std::vector<T>& ts) {
    std::string text;
    for (const T& t : ts) text += t.name + " " + t.role + " " + Sha256Hex(t.token) + "\n";
    WriteTextFile(dir_.File("tokens.txt"), text);
  }
  TempDir dir_;
  TokenStore tokens_{dir_.File("tokens.txt")};
  FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
};

TEST_F(SessionStoreTest, AKnownTokenSignsInAndTheSessionIsFoundByItsIdOnly) {
  SessionStore sessions(&tokens_, &clock_);
  EXPECT_TRUE(sessions.needs_token());
  EXPECT_TRUE(absl::IsUnauthenticated(sessions.SignIn("guess").status()));
  absl::StatusOr<ConsoleSession> s = sessions.SignIn("olga-secret");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->who.Display(), "token:olga");
  EXPECT_EQ(s->who.role, Role::kOperator);
  EXPECT_EQ(s->id.size(), 64u);
  EXPECT_EQ(s->csrf.size(), 64u);
  EXPECT_NE(s->id, s->csrf);
  ASSERT_TRUE(sessions.Find(s->id).has_value());
  EXPECT_FALSE(sessions.Find(s->csrf).has_value());
  EXPECT_FALSE(sessions.Find("").has_value());
  EXPECT_FALSE(sessions.Find(std::string(64, '0')).has_value());
  // Two sign-ins are two sessions.
  absl::StatusOr<ConsoleSession> again = sessions.SignIn("olga-secret");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->id, s->id);
  sessions.SignOut(s->id);
  EXPECT_FALSE(sessions.Find(s->id).has_value());
  EXPECT_TRUE(sessions.Find(again->id).has_value());
}

TEST_F(SessionStoreTest, SessionsEndWhenIdleAndAtTheirMaximumAge) {
  SessionStore sessions(&tokens_, &clock_,
                        {.max_sessions = 10, .idle = absl::Minutes(30), .max_age = absl::Hours(2)});
  auto idle = sessions.SignIn("vic-secret");
  auto busy = sessions.SignIn("vic-secret");
  ASSERT_TRUE(idle.ok() && busy.ok());
  for (int i = 0; i < 5; ++i) {  // 100 minutes, `busy` used every 20
    clock_.Advance(absl::Minutes(20));
    EXPECT_TRUE(sessions.Find(busy->id).has_value()) << i;
  }
  EXPECT_FALSE(sessions.Find(idle->id).has_value());
  clock_.Advance(absl::Minutes(20));  // 2 h after signing in
  EXPECT_FALSE(sessions.Find(busy->id).has_value());
  EXPECT_EQ(sessions.size(), 0u);
}

TEST_F(SessionStoreTest, TheTableIsBoundedAndTheLeastRecentlyUsedSessionGoes) {
  SessionStore sessions(&tokens_, &clock_, {.max_sessions = 3});
  std::vector<ConsoleSession> s;
  for (int i = 0; i < 3; ++i) {
    s.push_back(*sessions.SignIn("vic-secret"));
    clock_.Advance(absl::Seconds(1));
  }
  ASSERT_TRUE(sessions.Find(s[0].id).has_value());  // s[1] is now the least recent
  clock_.Advance(absl::Seconds(1));
  auto fourth = sessions.SignIn("olga-secret");
  ASSERT_TRUE(fourth.ok());
  EXPECT_EQ(sessions.size(), 3u);
  EXPECT_EQ(sessions.evicted(), 1u);
  EXPECT_FALSE(sessions.Find(s[1].id).has_value());
  EXPECT_TRUE(sessions.Find(s[0].id).has_value());
  EXPECT_TRUE(sessions.Find(s[2].id).has_value());
}

TEST_F(SessionStoreTest, OnePrincipalSigningInOverAndOverPushesOutOnlyItsOwnSessions) {
  SessionStore sessions(&tokens_, &clock_, {.max_sessions = 10, .max_per_principal = 2});
  auto olga = sessions.SignIn("olga-secret");
  ASSERT_TRUE(olga.ok());
  for (int i = 0; i < 50; ++i) {
    clock_.Advance(absl::Seconds(1));
    ASSERT_TRUE(sessions.SignIn("vic-secret").ok());
  }
  EXPECT_TRUE(sessions.Find(olga->id).has_value());
  EXPECT_EQ(sessions.size(), 3u);
  EXPECT_EQ(sessions.evicted(), 48u);
}

TEST_F(SessionStoreTest, ARevokedTokenEndsItsSessionsAndANewRoleAppliesAtOnce) {
  SessionStore sessions(&tokens_, &clock_);
  auto olga = sessions.SignIn("olga-secret");
  auto vic = sessions.SignIn("vic-secret");
  ASSERT_TRUE(olga.ok() && vic.ok());
  WriteTokens({{"vic", "operator", "vic-secret"}});  // olga revoked, vic promoted
  ASSERT_TRUE(tokens_.Reload().ok());
  EXPECT_FALSE(sessions.Find(olga->id).has_value());
  std::optional<ConsoleSession> v = sessions.Find(vic->id);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->who.role, Role::kOperator);
  EXPECT_EQ(v->csrf, vic->csrf);
}

TEST_F(SessionStoreTest, WithoutTokensTheSessionIsTheLocalUser) {
  SessionStore sessions(nullptr, &clock_);
  EXPECT_FALSE(sessions.needs_token());
  auto s = sessions.SignIn("");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->who.Display(), "local");
  EXPECT_EQ(s->who.role, Role::kAdmin);
  EXPECT_TRUE(sessions.Find(s->id).has_value());
}

}  // namespace
}  // namespace rollguard::collector
