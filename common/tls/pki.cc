#include "common/tls/pki.h"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/tls/openssl_util.h"

namespace rollguard {

using tls_internal::LastError;
using tls_internal::Owned;

namespace {

absl::Status Fail(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", LastError()));
}

absl::StatusOr<Owned<EVP_PKEY>> NewKey() {
  Owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) return Fail("generating a P-256 key");
  return key;
}

absl::StatusOr<std::string> KeyPem(EVP_PKEY* key) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Fail("writing a private key");
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

absl::StatusOr<std::string> CertPem(X509* cert) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(bio.get(), cert) != 1) return Fail("writing a certificate");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

// A new certificate for `key` with a random 128-bit serial and the validity.
absl::StatusOr<Owned<X509>> NewCertificate(EVP_PKEY* key, const std::string& cn,
                                           absl::Time not_before, absl::Time not_after) {
  Owned<X509> cert(X509_new());
  X509_set_version(cert.get(), 2);  // v3
  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1) return Fail("random serial");
  serial_bytes[0] &= 0x7f;  // positive
  Owned<BIGNUM> serial(BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr));
  BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()));
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(not_before));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(not_after));
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("rollguard"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return cert;
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext) return Fail(absl::StrCat("extension ", OBJ_nid2sn(nid), " = ", value));
  X509_add_ext(cert, ext.get(), -1);
  return absl::OkStatus();
}

// Signs `cert` with `signer` (SHA-256) and returns it with `key`, both as PEM.
absl::StatusOr<KeyAndCertificate> SignAndExport(X509* cert, EVP_PKEY* signer, EVP_PKEY* key) {
  if (X509_sign(cert, signer, EVP_sha256()) == 0) return Fail("signing the certificate");
  absl::StatusOr<std::string> k = KeyPem(key);
  absl::StatusOr<std::string> p = CertPem(cert);
  if (!k.ok()) return k.status();
  if (!p.ok()) return p.status();
  return KeyAndCertificate{std::move(*k), std::move(*p)};
}

bool IsIpAddress(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

}  // namespace

absl::StatusOr<KeyAndCertificate> CreateCertificateAuthority(const std::string& common_name,
                                                             absl::Time not_before,
                                                             absl::Time not_after) {
  absl::StatusOr<Owned<EVP_PKEY>> key = NewKey();
  if (!key.ok()) return key.status();
  absl::StatusOr<Owned<X509>> cert = NewCertificate(key->get(), common_name, not_before, not_after);
  if (!cert.ok()) return cert.status();
  X509* c = cert->get();
  X509_set_issuer_name(c, X509_get_subject_name(c));
  for (auto [nid, value] :
       {std::pair<int, std::string>{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
        {NID_key_usage, "critical,keyCertSign,cRLSign"},
        {NID_subject_key_identifier, "hash"}}) {
    if (absl::Status s = AddExtension(c, c, nid, value); !s.ok()) return s;
  }
  return SignAndExport(c, key->get(), key->get());
}

absl::StatusOr<KeyAndCertificate> IssueCertificate(const KeyAndCertificate& ca,
                                                   const CertificateRequest& req) {
  Owned<X509> ca_cert = tls_internal::ReadCertificate(ca.cert_pem);
  Owned<EVP_PKEY> ca_key = tls_internal::ReadPrivateKey(ca.key_pem);
  if (!ca_cert || !ca_key) return Fail("reading the CA's certificate and key");
  absl::StatusOr<Owned<EVP_PKEY>> key = NewKey();
  if (!key.ok()) return key.status();
  absl::StatusOr<Owned<X509>> cert =
      NewCertificate(key->get(), req.common_name, req.not_before, req.not_after);
  if (!cert.ok()) return cert.status();
  X509* c = cert->get();
  X509_set_issuer_name(c, X509_get_subject_name(ca_cert.get()));
  std::vector<std::string> sans;
  for (const auto& d : req.dns_names) sans.push_back(absl::StrCat("DNS:", d));
  for (const auto& ip : req.ip_addresses) {
    if (!IsIpAddress(ip))
      return absl::InvalidArgumentError(absl::StrCat("'", ip, "' is not an IP address"));
    sans.push_back(absl::StrCat("IP:", ip));
  }
  for (const auto& u : req.uris) sans.push_back(absl::StrCat("URI:", u));
  std::vector<std::string> usages;
  if (req.server) usages.push_back("serverAuth");
  if (req.client) usages.push_back("clientAuth");
  std::vector<std::pair<int, std::string>> exts = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
      {NID_authority_key_identifier, "keyid:always"}};
  if (!usages.empty()) exts.emplace_back(NID_ext_key_usage, absl::StrJoin(usages, ","));
  if (!sans.empty()) exts.emplace_back(NID_subject_alt_name, absl::StrJoin(sans, ","));
  for (const auto& [nid, value] : exts) {
    if (absl::Status s = AddExtension(c, ca_cert.get(), nid, value); !s.ok()) return s;
  }
  return SignAndExport(c, ca_key.get(), key->get());
}

absl::StatusOr<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    return Fail("random bytes");
  }
  return absl::BytesToHexString(raw);
}

}  // namespace rollguard
