// Clients' address lists as gRPC targets, token characters, and the settings
// OpenChannel refuses; no file is read and no connection made.
#include <stdlib.h>

#include "common/rpc/client_channel.h"
#include "common/rpc/secrets.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::rpc {
namespace {

using ::testing::HasSubstr;

std::string Target(absl::string_view addresses) {
  absl::StatusOr<std::string> target = ChannelTarget(addresses);
  EXPECT_TRUE(target.ok()) << target.status();
  return target.ok() ? *target : "";
}

absl::Status Refused(absl::string_view addresses) {
  absl::StatusOr<std::string> target = ChannelTarget(addresses);
  EXPECT_FALSE(target.ok()) << addresses << " gave " << *target;
  return target.status();
}

TEST(ChannelTarget, OneAddressIsKeptAsItIs) {
  EXPECT_EQ(Target("127.0.0.1:7233"), "127.0.0.1:7233");
  EXPECT_EQ(Target(" orchestrator.internal:7233 "), "orchestrator.internal:7233");
  EXPECT_EQ(Target("10.0.0.1:7233,"), "10.0.0.1:7233");
  EXPECT_EQ(Target("localhost:7233"), "localhost:7233");
}

TEST(ChannelTarget, GrpcTargetsPassThroughCommasIncluded) {
  EXPECT_EQ(Target("dns:///baton.internal:7233"), "dns:///baton.internal:7233");
  EXPECT_EQ(Target("ipv4:10.0.0.1:7233,10.0.0.2:7233"), "ipv4:10.0.0.1:7233,10.0.0.2:7233");
  EXPECT_EQ(Target("unix:/run/baton.sock"), "unix:/run/baton.sock");
}

TEST(ChannelTarget, SeveralIpAddressesBecomeOneTargetOfTheirFamily) {
  EXPECT_EQ(Target("10.0.0.1:7233,10.0.0.2:7234"), "ipv4:10.0.0.1:7233,10.0.0.2:7234");
  EXPECT_EQ(Target(" 10.0.0.1:7233 , ,10.0.0.2:7233 "), "ipv4:10.0.0.1:7233,10.0.0.2:7233");
  EXPECT_EQ(Target("[::1]:7233,[fd00::2]:7233"), "ipv6:[::1]:7233,[fd00::2]:7233");
}

TEST(ChannelTarget, ListsOfNamesBadPortsAndMixedFamiliesAreRefused) {
  absl::Status names = Refused("orch-a:7233,orch-b:7233");
  EXPECT_EQ(names.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(names.message(), HasSubstr("\"orch-a:7233\""));
  EXPECT_THAT(names.message(), HasSubstr("one DNS name"));
  EXPECT_THAT(Refused("10.0.0.1,10.0.0.2:7233").message(), HasSubstr("\"10.0.0.1\": no port"));
  EXPECT_THAT(Refused("10.0.0.1:0,10.0.0.2:7233").message(), HasSubstr("port 1..65535"));
  EXPECT_THAT(Refused("10.0.0.1:70000,10.0.0.2:7233").message(), HasSubstr("port 1..65535"));
  EXPECT_THAT(Refused("10.0.0.1:x,10.0.0.2:7233").message(), HasSubstr("port 1..65535"));
  EXPECT_THAT(Refused("10.0.0.1:7233,::1:7233").message(), HasSubstr("brackets"));
  EXPECT_THAT(Refused("10.0.0.1:7233,[::1]:7233").message(), HasSubstr("mixed"));
  EXPECT_THAT(Refused("[::1:7233,[::2]:7233").message(), HasSubstr("no closing"));
  EXPECT_THAT(Refused("10.0.0.256:7233,10.0.0.2:7233").message(), HasSubstr("not an IPv4"));
  EXPECT_THAT(Refused("").message(), HasSubstr("no orchestrator address"));
  EXPECT_THAT(Refused(" , ").message(), HasSubstr("no orchestrator address"));
}

TEST(CheckTokenCharacters, VisibleAsciiOnly) {
  EXPECT_TRUE(CheckTokenCharacters("abc-DEF_123.~!", "t").ok());
  EXPECT_EQ(CheckTokenCharacters("", "t").code(), absl::StatusCode::kInvalidArgument);
  absl::Status space = CheckTokenCharacters("ab cd", "token file \"x\"");
  EXPECT_EQ(space.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(space.message(), HasSubstr("token file \"x\""));
  EXPECT_THAT(space.message(), ::testing::Not(HasSubstr("ab cd")));
  EXPECT_FALSE(CheckTokenCharacters("ab\ncd", "t").ok());
  EXPECT_FALSE(CheckTokenCharacters("caf\xc3\xa9", "t").ok());
}

// Settings refused before any file is read or any connection made.
absl::Status OpenRefused(const std::string& addresses, const ClientSecurity& security) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenChannel({addresses, security});
  EXPECT_FALSE(channel.ok());
  return channel.status();
}

TEST(OpenChannel, RefusesInconsistentSecuritySettings) {
  unsetenv(kTokenEnv);  // a developer's own token must not change the answers
  ClientSecurity key_only;
  key_only.key_file = "client.key";
  EXPECT_THAT(OpenRefused("127.0.0.1:7233", key_only).message(), HasSubstr("go together"));

  ClientSecurity plaintext_token;
  plaintext_token.token = "operator-0123456789abcdef";
  absl::Status token = OpenRefused("127.0.0.1:7233", plaintext_token);
  EXPECT_EQ(token.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(token.message(), HasSubstr("only sent over TLS"));
  EXPECT_THAT(token.message(), ::testing::Not(HasSubstr("0123456789abcdef")));

  ClientSecurity tls;
  tls.tls = true;
  EXPECT_THAT(OpenRefused("10.0.0.1:7233,10.0.0.2:7233", tls).message(),
              HasSubstr("--tls-server-name"));
  tls.server_name = "baton.internal";
  EXPECT_TRUE(OpenChannel({"10.0.0.1:7233,10.0.0.2:7233", tls}).ok());
  EXPECT_TRUE(OpenChannel({"dns:///baton.internal:7233", ClientSecurity{}}).ok());
}

}  // namespace
}  // namespace baton::rpc
