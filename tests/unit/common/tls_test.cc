// Certificates and identities: what `rollguard pki` makes reads back as the
// identity it was made for; files that do not fit are errors naming them.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "common/tls/certificate.h"
#include "common/tls/grpc_tls.h"
#include "common/tls/identity.h"
#include "common/tls/pki.h"
#include "common/tls/tls_config.h"
#include "tests/support/process.h"

namespace rollguard {
namespace {

TEST(IdentityTest, UrisRoundTripAndStrangersAreRefused) {
  auto agent = PrincipalFromUri(AgentUri("bot-eu-1"));
  ASSERT_TRUE(agent.ok());
  EXPECT_EQ(agent->Display(), "agent:bot-eu-1");
  auto user = PrincipalFromUri(UserUri("alice", Role::kOperator));
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->role, Role::kOperator);
  EXPECT_EQ(user->Display(), "user:alice");
  EXPECT_FALSE(PrincipalFromUri("spiffe://other/agent/bot").ok());
  EXPECT_FALSE(PrincipalFromUri("spiffe://rollguard/user/root/alice").ok());
  EXPECT_FALSE(PrincipalFromUri("spiffe://rollguard/agent/../etc").ok());
  EXPECT_FALSE(ValidateIdentityName("host id", "a b").ok());
  EXPECT_FALSE(ValidateIdentityName("host id", std::string("a\0b", 3)).ok());
}

TEST(PkiTest, IssuedCertificatesVerifyAgainstTheirCaOnly) {
  absl::Time now = absl::Now();
  auto ca = CreateCertificateAuthority("test CA", now - absl::Hours(1), now + absl::Hours(24));
  auto other = CreateCertificateAuthority("other CA", now - absl::Hours(1), now + absl::Hours(24));
  ASSERT_TRUE(ca.ok() && other.ok());
  CertificateRequest req;
  req.common_name = "bot-1";
  req.uris = {AgentUri("bot-1")};
  req.ip_addresses = {"127.0.0.1"};
  req.client = true;
  req.not_before = now - absl::Minutes(1);
  req.not_after = now + absl::Hours(1);
  auto cert = IssueCertificate(*ca, req);
  ASSERT_TRUE(cert.ok()) << cert.status();
  auto info = ParseCertificatePem(cert->cert_pem);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->uris, std::vector<std::string>{AgentUri("bot-1")});
  EXPECT_EQ(info->ip_addresses, std::vector<std::string>{"127.0.0.1"});
  EXPECT_TRUE(CheckKeyMatchesCertificate(cert->cert_pem, cert->key_pem).ok());
  EXPECT_FALSE(CheckKeyMatchesCertificate(cert->cert_pem, ca->key_pem).ok());
  EXPECT_TRUE(VerifyIssuedBy(cert->cert_pem, ca->cert_pem, now).ok());
  EXPECT_FALSE(VerifyIssuedBy(cert->cert_pem, other->cert_pem, now).ok());
  EXPECT_FALSE(VerifyIssuedBy(cert->cert_pem, ca->cert_pem, now + absl::Hours(2)).ok());
}

TEST(TlsFilesTest, ProblemsNameTheFile) {
  testing::TempDir dir;
  absl::Time now = absl::Now();
  auto ca = CreateCertificateAuthority("test CA", now - absl::Hours(1), now + absl::Hours(24));
  ASSERT_TRUE(ca.ok());
  CertificateRequest req;
  req.common_name = "bot-1";
  req.not_before = now - absl::Hours(2);
  req.not_after = now - absl::Hours(1);  // expired
  auto expired = IssueCertificate(*ca, req);
  ASSERT_TRUE(expired.ok());
  testing::WriteTextFile(dir.File("ca.crt"), ca->cert_pem);
  testing::WriteTextFile(dir.File("old.crt"), expired->cert_pem);
  testing::WriteTextFile(dir.File("old.key"), expired->key_pem);
  testing::WriteTextFile(dir.File("garbage.crt"), "hello");
  TlsFiles files{dir.File("ca.crt"), dir.File("old.crt"), dir.File("old.key")};
  auto r = CheckTlsFiles(files, true, "--tls-");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "expired")) << r.status();
  files.cert = dir.File("garbage.crt");
  r = CheckTlsFiles(files, true, "--tls-");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "garbage.crt")) << r.status();
  files.key = "";
  r = CheckTlsFiles(files, true, "--tls-");
  EXPECT_TRUE(absl::StrContains(r.status().message(), "go together")) << r.status();
  files = TlsFiles{dir.File("missing.crt"), "", ""};
  r = CheckTlsFiles(files, false, "--tls-");
  EXPECT_TRUE(absl::StrContains(r.status().message(), "--tls-ca")) << r.status();
}

TEST(LoopbackTest, OnlyLoopbackAddressesCount) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:7700"));
  EXPECT_TRUE(IsLoopbackAddress("127.4.5.6:0"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:7700"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:7700"));
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0:7700"));
  EXPECT_FALSE(IsLoopbackAddress("[::]:7700"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.5:7700"));
  EXPECT_FALSE(IsLoopbackAddress("collector.example.net:7700"));
}

}  // namespace
}  // namespace rollguard
