// What a PEM chain says about itself and the validity check each binary
// makes of its own certificate (common/rpc/certificates.h). The fixtures were
// made once with openssl: a leaf for baton.internal valid through 2020,
// signed by a CA valid from 2026-12-03T09:51:08Z to 2026-12-05T09:51:08Z.
#include "common/rpc/certificates.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::rpc {
namespace {

using ::testing::ElementsAre;

constexpr char kLeaf[] = R"(-----BEGIN CERTIFICATE-----
MIIBijCCATGgAwIBAgIUbUav4MuRMChSSxRbsrjWKVDujRwwCgYIKoZIzj0EAwIw
DTELMAkGA1UEAwwCY2EwHhcNMjAwMTAxMDAwMDAwWhcNMjAxMjMxMDAwMDAwWjAZ
MRcwFQYDVQQDDA5iYXRvbi5pbnRlcm5hbDBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABOn7ROE9fMZ7RUtix0erqXRYbufUWI3+syezQFg04btv7rF9gRXAeSDy67C+
011SY77Kr0q4MX8QPraEmzh+4uejYzBhMB8GA1UdEQQYMBaCDmJhdG9uLmludGVy
bmFshwQKAAABMB0GA1UdDgQWBBTLgGZbDH9nlOYsNt6i6iXWb+h4TjAfBgNVHSME
GDAWgBQbaoLL741ZWmCZnQzdrnAtmd96eDAKBggqhkjOPQQDAgNHADBEAiAvphxh
On43N/9WOJcX2ZTroFod6qqWfw58mEJ4Rf82VAIgG7G2DcOQu4/lZL0hzxIdUjjl
eItrdNV5r/OTxGvR8fQ=
-----END CERTIFICATE-----
)";
constexpr char kCa[] = R"(-----BEGIN CERTIFICATE-----
MIIBcDCCARWgAwIBAgIUPVi1H24Q/uVxHpHnp5GhdCa6kXowCgYIKoZIzj0EAwIw
DTELMAkGA1UEAwwCY2EwHhcNMjYxMjAzMDk1MTA4WhcNMjYxMjA1MDk1MTA4WjAN
MQswCQYDVQQDDAJjYTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABJ/Wrw0lqiNK
x+Rxq4YIgrsuDQ5s7uNvDCqp1Koy7+fzZmTfXdKa3LgKr/QhXUgf39WLIZc664B7
Q6dCdgTWVTejUzBRMB0GA1UdDgQWBBQbaoLL741ZWmCZnQzdrnAtmd96eDAfBgNV
HSMEGDAWgBQbaoLL741ZWmCZnQzdrnAtmd96eDAPBgNVHRMBAf8EBTADAQH/MAoG
CCqGSM49BAMCA0kAMEYCIQC97VQADYhnjd/wCuCjA343G+Ivqbl9ivtZCNVs1JnF
iAIhANhIqTBHAu9xZGTEi4qGuyYBzHS6BmNDt0Hpw5lLXfJr
-----END CERTIFICATE-----
)";

absl::Time At(const std::string& rfc3339) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) << error;
  return t;
}

TEST(Certificates, ReadsSubjectIssuerNamesAndWindow) {
  auto chain = ReadCertificates(std::string(kLeaf) + kCa);
  ASSERT_TRUE(chain.ok()) << chain.status();
  ASSERT_EQ(chain->size(), 2);
  const CertificateInfo& leaf = (*chain)[0];
  EXPECT_EQ(leaf.subject, "CN=baton.internal");
  EXPECT_EQ(leaf.issuer, "CN=ca");
  EXPECT_THAT(leaf.names, ElementsAre("DNS:baton.internal", "IP:10.0.0.1"));
  EXPECT_EQ(FormatCertificateTime(leaf.not_before), "2020-01-01T00:00:00Z");
  EXPECT_EQ(FormatCertificateTime(leaf.not_after), "2020-12-31T00:00:00Z");
  EXPECT_EQ((*chain)[1].subject, "CN=ca");
  EXPECT_FALSE(ReadCertificates("not a certificate").ok());
}

TEST(Certificates, RefusesACertificateOutsideItsWindowNamingFileAndDates) {
  const std::string where = "--tls-cert \"server.pem\"";
  EXPECT_TRUE(CheckCertificateFile(kLeaf, where, At("2020-06-01T00:00:00Z")).ok());
  EXPECT_EQ(CheckCertificateFile(kLeaf, where, At("2021-01-01T00:00:00Z")).message(),
            "--tls-cert \"server.pem\": the certificate (CN=baton.internal) expired on "
            "2020-12-31T00:00:00Z (valid from 2020-01-01T00:00:00Z to 2020-12-31T00:00:00Z)");
  EXPECT_EQ(CheckCertificateFile(kLeaf, where, At("2019-12-31T23:59:59Z")).message(),
            "--tls-cert \"server.pem\": the certificate (CN=baton.internal) is not yet valid "
            "(valid from 2020-01-01T00:00:00Z to 2020-12-31T00:00:00Z)");
  // Further down the chain.
  EXPECT_EQ(
      CheckCertificateFile(std::string(kLeaf) + kCa, where, At("2020-06-01T00:00:00Z")).message(),
      "--tls-cert \"server.pem\": certificate 2 of 2 (CN=ca) is not yet valid (valid from "
      "2026-12-03T09:51:08Z to 2026-12-05T09:51:08Z)");
  EXPECT_EQ(CheckCertificateFile("garbage", where, absl::Now()).message(),
            "--tls-cert \"server.pem\": holds no PEM certificate");
}

}  // namespace
}  // namespace baton::rpc
