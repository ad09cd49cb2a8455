// The addresses a client dials, which the handshake diagnosis tries
// (common/rpc/tls_diagnosis.h). The diagnosis itself meets real TLS servers
// in tests/e2e/security_e2e_test.cc.
#include "common/rpc/tls_diagnosis.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::rpc {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(DialedAddresses, OneEntryPerAddressOfEveryForm) {
  EXPECT_THAT(DialedAddresses("127.0.0.1:7233"), ElementsAre("127.0.0.1:7233"));
  EXPECT_THAT(DialedAddresses(" 10.0.0.1:7233, 10.0.0.2:7233 "),
              ElementsAre("10.0.0.1:7233", "10.0.0.2:7233"));
  EXPECT_THAT(DialedAddresses("ipv4:10.0.0.1:1,10.0.0.2:2"),
              ElementsAre("10.0.0.1:1", "10.0.0.2:2"));
  EXPECT_THAT(DialedAddresses("ipv6:[::1]:7233"), ElementsAre("[::1]:7233"));
  EXPECT_THAT(DialedAddresses("dns:///baton.internal:7233"), ElementsAre("baton.internal:7233"));
  EXPECT_THAT(DialedAddresses("dns://8.8.8.8/baton.internal:7233"),
              ElementsAre("baton.internal:7233"));
  EXPECT_THAT(DialedAddresses("unix:/run/baton.sock"), IsEmpty());
}

TEST(ExplainTlsFailure, LeavesOtherFailuresAsTheyAre) {
  ChannelOptions plaintext{"127.0.0.1:1"};
  const absl::Status down = absl::UnavailableError("connection refused");
  EXPECT_EQ(ExplainTlsFailure(down, plaintext), down);
  ChannelOptions tls{"127.0.0.1:1"};
  tls.security.tls = true;
  const absl::Status denied = absl::PermissionDeniedError("no");
  EXPECT_EQ(ExplainTlsFailure(denied, tls), denied);
}

}  // namespace
}  // namespace baton::rpc
