#include "collector/auth/authenticator.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/tls/certificate.h"

namespace rollguard::collector {

absl::StatusOr<Principal> Authenticator::Identify(const grpc::ServerContextBase& ctx) const {
  if (!tls_) return Principal{PrincipalKind::kLocal, "", Role::kAdmin, ""};
  std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
  std::vector<grpc::string_ref> pems =
      auth ? auth->FindPropertyValues("x509_pem_cert") : std::vector<grpc::string_ref>();
  if (!pems.empty()) {
    absl::StatusOr<CertificateInfo> info =
        ParseCertificatePem(absl::string_view(pems[0].data(), pems[0].size()));
    if (!info.ok()) {
      return absl::UnauthenticatedError(
          absl::StrCat("unreadable client certificate: ", info.status().message()));
    }
    for (const std::string& uri : info->uris) {
      absl::StatusOr<Principal> p = PrincipalFromUri(uri);
      if (p.ok()) {
        p->certificate_serial = info->serial_hex;
        return p;
      }
    }
    return absl::UnauthenticatedError(absl::StrCat(
        "client certificate '", info->subject_cn,
        "' names no rollguard identity (issue one with `rollguard pki agent` or `pki user`)"));
  }
  const auto& md = ctx.client_metadata();
  auto it = md.find("authorization");
  if (it != md.end()) {
    absl::string_view value(it->second.data(), it->second.size());
    constexpr absl::string_view kBearer = "Bearer ";
    if (tokens_ != nullptr && absl::StartsWith(value, kBearer)) {
      std::optional<Principal> p = tokens_->Lookup(std::string(value.substr(kBearer.size())));
      if (p) return *p;
    }
    return absl::UnauthenticatedError("the bearer token is not known to this collector");
  }
  return absl::UnauthenticatedError(
      "this collector requires a client certificate or a token (--tls-cert/--tls-key or "
      "--token-file)");
}

}  // namespace rollguard::collector
