// Owning pointers for the OpenSSL objects the TLS code makes (certificate
// checks, handshake diagnosis). Internal to common/rpc.
#pragma once

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace baton::rpc::openssl {

struct Free {
  void operator()(BIO* b) const { BIO_free(b); }
  void operator()(X509* x) const { X509_free(x); }
  void operator()(GENERAL_NAMES* n) const { GENERAL_NAMES_free(n); }
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  void operator()(SSL* s) const { SSL_free(s); }
};

template <typename T>
using Ptr = std::unique_ptr<T, Free>;

}  // namespace baton::rpc::openssl
