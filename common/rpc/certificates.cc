#include "common/rpc/certificates.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/rpc/openssl_ptr.h"

namespace baton::rpc {
namespace {

absl::Time ToTime(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromTM(tm, absl::UTCTimeZone());
}

std::string NameText(const X509_NAME* name) {
  openssl::Ptr<BIO> out(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(out.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, size > 0 ? static_cast<size_t>(size) : 0);
}

std::string GeneralNameText(const GENERAL_NAME* name) {
  if (name->type == GEN_DNS) {
    const ASN1_IA5STRING* dns = name->d.dNSName;
    return absl::StrCat("DNS:", std::string(reinterpret_cast<const char*>(dns->data), dns->length));
  }
  if (name->type == GEN_IPADD) {
    openssl::Ptr<BIO> out(BIO_new(BIO_s_mem()));
    GENERAL_NAME_print(out.get(), const_cast<GENERAL_NAME*>(name));
    char* data = nullptr;
    const long size = BIO_get_mem_data(out.get(), &data);
    std::string text(data, size > 0 ? static_cast<size_t>(size) : 0);
    return absl::StrCat("IP:", text.substr(text.find(':') + 1));  // "IP Address:1.2.3.4"
  }
  return "";
}

std::vector<std::string> AltNames(X509* certificate) {
  std::vector<std::string> names;
  openssl::Ptr<GENERAL_NAMES> all(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; all != nullptr && i < sk_GENERAL_NAME_num(all.get()); ++i) {
    std::string text = GeneralNameText(sk_GENERAL_NAME_value(all.get(), i));
    if (!text.empty()) names.push_back(std::move(text));
  }
  return names;
}

CertificateInfo Describe(X509* certificate) {
  CertificateInfo info;
  info.subject = NameText(X509_get_subject_name(certificate));
  info.issuer = NameText(X509_get_issuer_name(certificate));
  info.names = AltNames(certificate);
  info.not_before = ToTime(X509_get0_notBefore(certificate));
  info.not_after = ToTime(X509_get0_notAfter(certificate));
  return info;
}

std::string Window(const CertificateInfo& c) {
  return absl::StrCat("(valid from ", FormatCertificateTime(c.not_before), " to ",
                      FormatCertificateTime(c.not_after), ")");
}

}  // namespace

absl::StatusOr<std::vector<CertificateInfo>> ReadCertificates(absl::string_view pem) {
  openssl::Ptr<BIO> in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<CertificateInfo> chain;
  while (true) {
    openssl::Ptr<X509> certificate(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
    if (certificate == nullptr) break;
    chain.push_back(Describe(certificate.get()));
  }
  if (chain.empty()) return absl::InvalidArgumentError("holds no PEM certificate");
  return chain;
}

std::string FormatCertificateTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

absl::Status CheckValidityWindow(const CertificateInfo& certificate, absl::Time now) {
  if (now > certificate.not_after) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expired on ", FormatCertificateTime(certificate.not_after), " ", Window(certificate)));
  }
  if (now < certificate.not_before) {
    return absl::InvalidArgumentError(absl::StrCat("is not yet valid ", Window(certificate)));
  }
  return absl::OkStatus();
}

absl::Status CheckCertificateFile(absl::string_view pem, absl::string_view where, absl::Time now) {
  auto chain = ReadCertificates(pem);
  if (!chain.ok())
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", chain.status().message()));
  for (size_t i = 0; i < chain->size(); ++i) {
    const CertificateInfo& certificate = (*chain)[i];
    absl::Status window = CheckValidityWindow(certificate, now);
    if (window.ok()) continue;
    const std::string which =
        i == 0 ? "the certificate" : absl::StrCat("certificate ", i + 1, " of ", chain->size());
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", which, " (", certificate.subject, ") ", window.message()));
  }
  return absl::OkStatus();
}

}  // namespace baton::rpc
