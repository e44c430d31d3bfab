#include "common/tls/certificate.h"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/tls/openssl_util.h"

namespace rollguard {
namespace tls_internal {

std::string LastError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

Owned<X509> ReadCertificate(absl::string_view pem) {
  Owned<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Owned<X509>(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

Owned<EVP_PKEY> ReadPrivateKey(absl::string_view pem) {
  Owned<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Owned<EVP_PKEY>(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

}  // namespace tls_internal

using tls_internal::LastError;
using tls_internal::Owned;

namespace {

absl::Time AsTime(const ASN1_TIME* t) {
  struct tm tm = {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromTM(tm, absl::UTCTimeZone());
}

std::string IpText(const ASN1_OCTET_STRING* ip) {
  char buf[INET6_ADDRSTRLEN] = {0};
  int family = ip->length == 4 ? AF_INET : AF_INET6;
  if (ip->length != 4 && ip->length != 16) return "?";
  inet_ntop(family, ip->data, buf, sizeof(buf));
  return buf;
}

}  // namespace

absl::StatusOr<CertificateInfo> ParseCertificatePem(absl::string_view pem) {
  Owned<X509> cert = tls_internal::ReadCertificate(pem);
  if (!cert)
    return absl::InvalidArgumentError(absl::StrCat("not a PEM certificate (", LastError(), ")"));
  CertificateInfo info;
  char cn[256] = {0};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof(cn)) >
      0) {
    info.subject_cn = cn;
  }
  auto* sans = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
    if (g->type == GEN_DNS || g->type == GEN_URI) {
      const ASN1_IA5STRING* s = g->type == GEN_DNS ? g->d.dNSName : g->d.uniformResourceIdentifier;
      std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<size_t>(ASN1_STRING_length(s)));
      (g->type == GEN_DNS ? info.dns_names : info.uris).push_back(std::move(text));
    } else if (g->type == GEN_IPADD) {
      info.ip_addresses.push_back(IpText(g->d.iPAddress));
    }
  }
  GENERAL_NAMES_free(sans);
  info.not_before = AsTime(X509_get0_notBefore(cert.get()));
  info.not_after = AsTime(X509_get0_notAfter(cert.get()));
  Owned<BIGNUM> serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  if (serial) {
    char* hex = BN_bn2hex(serial.get());
    info.serial_hex = hex;
    OPENSSL_free(hex);
  }
  info.is_ca = X509_check_ca(cert.get()) != 0;
  return info;
}

absl::Status CheckKeyMatchesCertificate(absl::string_view cert_pem, absl::string_view key_pem) {
  Owned<X509> cert = tls_internal::ReadCertificate(cert_pem);
  if (!cert)
    return absl::InvalidArgumentError(absl::StrCat("not a PEM certificate (", LastError(), ")"));
  Owned<EVP_PKEY> key = tls_internal::ReadPrivateKey(key_pem);
  if (!key)
    return absl::InvalidArgumentError(absl::StrCat("not a PEM private key (", LastError(), ")"));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("the private key does not belong to the certificate");
  }
  return absl::OkStatus();
}

absl::Status VerifyIssuedBy(absl::string_view cert_pem, absl::string_view ca_pem, absl::Time now) {
  Owned<X509> cert = tls_internal::ReadCertificate(cert_pem);
  if (!cert)
    return absl::InvalidArgumentError(absl::StrCat("not a PEM certificate (", LastError(), ")"));
  Owned<X509_STORE> store(X509_STORE_new());
  Owned<BIO> bio(BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size())));
  int added = 0;
  while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store.get(), ca);
    X509_free(ca);
    ++added;
  }
  ERR_clear_error();  // the end of the PEM stream
  if (added == 0) return absl::InvalidArgumentError("the CA file holds no PEM certificate");
  Owned<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr);
  X509_STORE_CTX_set_time(ctx.get(), 0, absl::ToTimeT(now));
  if (X509_verify_cert(ctx.get()) != 1) {
    return absl::InvalidArgumentError(
        X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
  }
  return absl::OkStatus();
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace rollguard
