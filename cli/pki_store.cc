#include "cli/pki_store.h"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/atomic_file.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "common/tls/certificate.h"
#include "common/tls/pki.h"

namespace rollguard::cli {
namespace {

namespace fs = std::filesystem;

absl::Status MakeDir(const std::string& dir, unsigned mode) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("creating ", dir, ": ", ec.message()));
  ::chmod(dir.c_str(), mode);
  return absl::OkStatus();
}

absl::StatusOr<KeyAndCertificate> LoadCa(const std::string& dir) {
  KeyAndCertificate ca;
  absl::StatusOr<std::string> cert = ReadFile(dir + "/ca.crt");
  absl::StatusOr<std::string> key = ReadFile(dir + "/ca.key");
  if (!cert.ok() || !key.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no CA in ", dir, " (", (!cert.ok() ? cert.status() : key.status()).message(),
                     "); run `rollguard pki init --dir ", dir, "` first"));
  }
  ca.cert_pem = std::move(*cert);
  ca.key_pem = std::move(*key);
  return ca;
}

absl::Status WritePair(const std::string& stem, const KeyAndCertificate& kc, IssuedFiles* out) {
  // Key first: a file watcher that reads between the two renames sees a pair
  // that does not match, refuses it and keeps the old one until the next read.
  RETURN_IF_ERROR(WriteFileAtomicMode(stem + ".key", kc.key_pem, 0600));
  RETURN_IF_ERROR(WriteFileAtomicMode(stem + ".crt", kc.cert_pem, 0644));
  out->written.push_back(stem + ".crt");
  out->written.push_back(stem + ".key");
  ASSIGN_OR_RETURN(CertificateInfo info, ParseCertificatePem(kc.cert_pem));
  std::vector<std::string> names = info.uris;
  names.insert(names.end(), info.dns_names.begin(), info.dns_names.end());
  names.insert(names.end(), info.ip_addresses.begin(), info.ip_addresses.end());
  out->detail = absl::StrCat(absl::StrJoin(names, ", "), "; expires ",
                             absl::FormatTime("%Y-%m-%d", info.not_after, absl::UTCTimeZone()));
  return absl::OkStatus();
}

absl::StatusOr<IssuedFiles> IssueClient(const std::string& dir, const std::string& subdir,
                                        const std::string& name, const std::string& uri, int days) {
  ASSIGN_OR_RETURN(KeyAndCertificate ca, LoadCa(dir));
  CertificateRequest req;
  req.common_name = name;
  req.uris = {uri};
  req.client = true;
  req.not_before = absl::Now() - absl::Minutes(5);  // tolerate a little clock skew
  req.not_after = absl::Now() + absl::Hours(24) * days;
  ASSIGN_OR_RETURN(KeyAndCertificate kc, IssueCertificate(ca, req));
  RETURN_IF_ERROR(MakeDir(dir + "/" + subdir, 0755));
  IssuedFiles out;
  RETURN_IF_ERROR(WritePair(absl::StrCat(dir, "/", subdir, "/", name), kc, &out));
  return out;
}

absl::Status CheckDays(int days) {
  if (days < 1 || days > 3650) return absl::InvalidArgumentError("--days must be 1 to 3650");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<IssuedFiles> PkiInit(const std::string& dir, const std::vector<std::string>& sans,
                                    int days) {
  RETURN_IF_ERROR(CheckDays(days));
  if (fs::exists(dir + "/ca.key")) {
    return absl::AlreadyExistsError(absl::StrCat(
        dir,
        "/ca.key exists: refusing to replace the CA (every certificate it signed would stop "
        "working). Use another --dir, or remove it on purpose."));
  }
  RETURN_IF_ERROR(MakeDir(dir, 0700));
  absl::Time now = absl::Now();
  ASSIGN_OR_RETURN(KeyAndCertificate ca,
                   CreateCertificateAuthority("rollguard CA", now - absl::Minutes(5),
                                              now + absl::Hours(24) * 3650));
  CertificateRequest req;
  req.common_name = "rollguard-collector";
  req.dns_names = {"localhost"};
  req.ip_addresses = {"127.0.0.1"};
  for (const std::string& san : sans) {
    unsigned char buf[16];
    bool ip =
        inet_pton(AF_INET, san.c_str(), buf) == 1 || inet_pton(AF_INET6, san.c_str(), buf) == 1;
    if (san.empty() || san.find_first_of(", /") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("--san '", san, "' is not a host name or IP"));
    }
    (ip ? req.ip_addresses : req.dns_names).push_back(san);
  }
  req.uris = {CollectorUri()};
  req.server = true;
  req.client = true;
  req.not_before = now - absl::Minutes(5);
  req.not_after = now + absl::Hours(24) * days;
  ASSIGN_OR_RETURN(KeyAndCertificate collector, IssueCertificate(ca, req));
  IssuedFiles out;
  RETURN_IF_ERROR(WritePair(dir + "/ca", ca, &out));
  RETURN_IF_ERROR(WritePair(dir + "/collector", collector, &out));
  return out;
}

absl::StatusOr<IssuedFiles> PkiAgent(const std::string& dir, const std::string& host_id, int days) {
  RETURN_IF_ERROR(CheckDays(days));
  RETURN_IF_ERROR(ValidateIdentityName("host id", host_id));
  return IssueClient(dir, "agents", host_id, AgentUri(host_id), days);
}

absl::StatusOr<IssuedFiles> PkiUser(const std::string& dir, const std::string& name, Role role,
                                    int days) {
  RETURN_IF_ERROR(CheckDays(days));
  RETURN_IF_ERROR(ValidateIdentityName("user name", name));
  return IssueClient(dir, "users", name, UserUri(name, role), days);
}

absl::StatusOr<IssuedToken> PkiToken(const std::string& dir, const std::string& name, Role role) {
  RETURN_IF_ERROR(ValidateIdentityName("token name", name));
  RETURN_IF_ERROR(LoadCa(dir).status());  // the same folder as the rest of the fleet's trust
  const std::string list = dir + "/tokens.txt";
  if (absl::StatusOr<std::string> existing = ReadFile(list); existing.ok()) {
    for (absl::string_view line : absl::StrSplit(*existing, '\n')) {
      std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (!f.empty() && f[0] == name) {
        return absl::AlreadyExistsError(absl::StrCat(
            "token '", name, "' already exists in ", list,
            "; delete its line to revoke it (then SIGHUP the collector), or pick another name"));
      }
    }
  }
  IssuedToken t;
  ASSIGN_OR_RETURN(std::string random, RandomHex(32));
  t.token = absl::StrCat("rgt_", random);
  RETURN_IF_ERROR(MakeDir(dir + "/tokens", 0700));
  const std::string file = absl::StrCat(dir, "/tokens/", name, ".token");
  RETURN_IF_ERROR(WriteFileAtomicMode(file, t.token + "\n", 0600));
  RETURN_IF_ERROR(
      AppendLineDurable(list, absl::StrCat(name, " ", RoleName(role), " ", Sha256Hex(t.token))));
  t.files.written = {file, list};
  t.files.detail = absl::StrCat("token:", name, " (", RoleName(role), ")");
  return t;
}

}  // namespace rollguard::cli
