// RAII owners for the OpenSSL objects this folder uses, and its last error as
// text. Internal to common/tls.
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace rollguard::tls_internal {

struct Free {
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Free>;

// The oldest queued OpenSSL error ("unknown" when none), and clears the queue.
std::string LastError();

Owned<X509> ReadCertificate(absl::string_view pem);
Owned<EVP_PKEY> ReadPrivateKey(absl::string_view pem);

}  // namespace rollguard::tls_internal
