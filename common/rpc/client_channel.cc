#include "common/rpc/client_channel.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>

#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/limits.h"
#include "common/rpc/certificates.h"
#include "common/rpc/secrets.h"

namespace baton::rpc {
namespace {

constexpr int kMaxReconnectBackoffMs = 5000;

// Adds "authorization: Bearer <token>" to every call.
class BearerToken final : public grpc::MetadataCredentialsPlugin {
 public:
  explicit BearerToken(const std::string& token) : header_(absl::StrCat("Bearer ", token)) {}

  bool IsBlocking() const override { return false; }
  const char* GetType() const override { return "baton-bearer-token"; }
  std::string DebugString() override { return "baton bearer token"; }  // never the token

  grpc::Status GetMetadata(grpc::string_ref, grpc::string_ref, const grpc::AuthContext&,
                           std::multimap<grpc::string, grpc::string>* metadata) override {
    metadata->insert({"authorization", header_});
    return grpc::Status::OK;
  }

 private:
  const std::string header_;
};

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> TlsCredentials(const ClientSecurity& s) {
  if (s.cert_file.empty() != s.key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together: a client certificate needs its private key");
  }
  grpc::SslCredentialsOptions ssl;
  if (!s.ca_file.empty()) {
    auto ca = ReadFileContent(s.ca_file, "--tls-ca");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *std::move(ca);
  }
  if (!s.cert_file.empty()) {
    auto cert = ReadFileContent(s.cert_file, "--tls-cert");
    if (!cert.ok()) return cert.status();
    if (absl::Status bad = CheckCertificateFile(
            *cert, absl::StrCat("--tls-cert \"", s.cert_file, "\""), absl::Now());
        !bad.ok()) {
      return bad;
    }
    auto key = ReadFileContent(s.key_file, "--tls-key");
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *std::move(cert);
    ssl.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(ssl);
}

absl::StatusOr<std::string> Token(const ClientSecurity& s) {
  if (!s.token_file.empty() || s.token.empty()) return ReadToken(s.token_file, kTokenEnv);
  std::string token(absl::StripAsciiWhitespace(s.token));
  if (absl::Status bad = CheckTokenCharacters(token, "the bearer token"); !bad.ok()) return bad;
  return token;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(const ClientSecurity& s) {
  auto token = Token(s);
  if (!token.ok()) return token.status();
  if (!s.UsesTls()) {
    if (!token->empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "a bearer token (--token-file or $", kTokenEnv,
          ") is only sent over TLS; add --tls-ca FILE (or --tls for the system's roots)"));
    }
    return grpc::InsecureChannelCredentials();
  }
  auto tls = TlsCredentials(s);
  if (!tls.ok() || token->empty()) return tls;
  return grpc::CompositeChannelCredentials(
      *tls, grpc::MetadataCredentialsFromPlugin(std::make_unique<BearerToken>(*token)));
}

// A list of several addresses has no single host name to check certificates
// against: the caller names the one every replica's certificate carries.
bool IsAddressList(const std::string& target) {
  return (absl::StartsWith(target, "ipv4:") || absl::StartsWith(target, "ipv6:")) &&
         absl::StrContains(target, ',');
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const ChannelOptions& options) {
  auto target = ChannelTarget(options.addresses);
  if (!target.ok()) return target.status();
  const ClientSecurity& security = options.security;
  if (security.UsesTls() && security.server_name.empty() && IsAddressList(*target)) {
    return absl::InvalidArgumentError(
        "several orchestrator addresses over TLS need --tls-server-name: the name every "
        "replica's certificate carries");
  }
  auto credentials = Credentials(security);
  if (!credentials.ok()) return credentials.status();
  grpc::ChannelArguments args;
  // Every replica serves every call (the state is in PostgreSQL): spread the
  // calls, and skip a dead replica without waiting for a connect timeout.
  args.SetLoadBalancingPolicyName("round_robin");
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
  // The orchestrator's bounds: a request it would refuse fails here, before
  // it is sent; an answer it may send (many leases, a large run) is accepted.
  args.SetMaxSendMessageSize(kMaxRequestMessageBytes);
  args.SetMaxReceiveMessageSize(kMaxResponseMessageBytes);
  if (options.keepalive > absl::ZeroDuration()) {
    // A replica that answers no ping within the keepalive (frozen, or its
    // host gone) is left: its calls fail UNAVAILABLE and go elsewhere.
    const int keepalive_ms = static_cast<int>(absl::ToInt64Milliseconds(options.keepalive));
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, keepalive_ms);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, keepalive_ms);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  }
  if (security.UsesTls() && !security.server_name.empty()) {
    args.SetSslTargetNameOverride(security.server_name);
  }
  return grpc::CreateCustomChannel(*target, *credentials, args);
}

}  // namespace baton::rpc
