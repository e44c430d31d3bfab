// The access table, tokens and URL redaction, without a network.
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "collector/auth/method_roles.h"
#include "collector/auth/token_store.h"
#include "common/redact.h"
#include "common/tls/certificate.h"
#include "rollguard/v1/admin_service.grpc.pb.h"
#include "rollguard/v1/admin_service.pb.h"
#include "tests/support/process.h"

namespace rollguard::collector {
namespace {

// A new RPC without an entry in the table fails here (and is refused to
// everyone at run time).
TEST(MethodRolesTest, EveryAdminServiceMethodHasARole) {
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      rollguard::v1::AdminService::service_full_name());
  ASSERT_NE(service, nullptr);
  for (int i = 0; i < service->method_count(); ++i) {
    const MethodRole* m = FindMethodRole(service->method(i)->name());
    ASSERT_NE(m, nullptr) << service->method(i)->name() << " is missing from method_roles.cc";
    EXPECT_NE(m->role, Role::kNone);
  }
  EXPECT_EQ(AdminMethodRoles().size(), static_cast<size_t>(service->method_count()))
      << "the table names a method the service does not have";
}

TEST(MethodRolesTest, RolesAreOrderedAndAgentsMayCallNothing) {
  Principal viewer{PrincipalKind::kUser, "vic", Role::kViewer, ""};
  Principal op{PrincipalKind::kToken, "ci", Role::kOperator, ""};
  Principal admin{PrincipalKind::kUser, "root", Role::kAdmin, ""};
  Principal agent{PrincipalKind::kAgent, "bot-1", Role::kNone, ""};
  EXPECT_TRUE(AuthorizeAdminCall(viewer, "ListHosts").ok());
  absl::Status s = AuthorizeAdminCall(viewer, "StartRollout");
  EXPECT_TRUE(absl::IsPermissionDenied(s));
  EXPECT_TRUE(absl::StrContains(s.message(), "needs the operator role")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "user:vic has viewer")) << s;
  EXPECT_TRUE(AuthorizeAdminCall(op, "StartRollout").ok());
  EXPECT_TRUE(absl::IsPermissionDenied(AuthorizeAdminCall(op, "ReloadRules")));
  EXPECT_TRUE(AuthorizeAdminCall(admin, "ReloadRules").ok());
  EXPECT_TRUE(absl::IsPermissionDenied(AuthorizeAdminCall(agent, "ListHosts")));
  EXPECT_TRUE(absl::IsPermissionDenied(AuthorizeAdminCall(admin, "NoSuchMethod")));
}

TEST(TokenStoreTest, KnowsTokensOnlyByHashAndReloads) {
  testing::TempDir dir;
  const std::string path = dir.File("tokens.txt");
  testing::WriteTextFile(path, "# operators\nci viewer " + Sha256Hex("rgt_secret") + "\n");
  TokenStore store(path);
  ASSERT_EQ(*store.Reload(), 1u);
  auto p = store.Lookup("rgt_secret");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->Display(), "token:ci");
  EXPECT_EQ(p->role, Role::kViewer);
  EXPECT_FALSE(store.Lookup("rgt_secreT").has_value());
  EXPECT_FALSE(store.Lookup(Sha256Hex("rgt_secret")).has_value()) << "the hash is not the token";

  // A bad file is refused with its line, and the old table stays.
  testing::WriteTextFile(path, "ci viewer nothex\n");
  absl::StatusOr<size_t> bad = store.Reload();
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "tokens.txt:1")) << bad.status();
  EXPECT_TRUE(store.Lookup("rgt_secret").has_value());

  // Revoking is deleting the line.
  testing::WriteTextFile(path, "");
  ASSERT_EQ(*store.Reload(), 0u);
  EXPECT_FALSE(store.Lookup("rgt_secret").has_value());
}

TEST(RedactTest, WebhookCredentialsNeverSurvive) {
  EXPECT_EQ(RedactUrl("https://discord.com/api/webhooks/1234567890/AbCdEf-token"),
            "https://discord.com/api/webhooks/…/***");
  EXPECT_EQ(RedactUrl("https://hooks.slack.com/services/T000/B000/XXXXSECRET"),
            "https://hooks.slack.com/services/…/***");
  EXPECT_EQ(RedactUrl("https://user:pw@example.org/hook?token=abc"), "https://example.org/***?***");
  EXPECT_EQ(RedactUrl("http://127.0.0.1:9093"), "http://127.0.0.1:9093");
  EXPECT_EQ(RedactUrl("not a url"), "***");
  EXPECT_EQ(ScrubSecrets("POST https://x/y/abcd failed: abcd", {"abcd"}),
            "POST https://x/y/*** failed: ***");
}

}  // namespace
}  // namespace rollguard::collector
