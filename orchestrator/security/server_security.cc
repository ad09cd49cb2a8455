#include "orchestrator/security/server_security.h"

#include <grpcpp/security/auth_metadata_processor.h>
#include <grpcpp/security/server_credentials.h>

#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/certificates.h"
#include "common/rpc/grpc_status.h"
#include "common/rpc/secrets.h"
#include "orchestrator/security/auth_rules.h"
#include "spdlog/spdlog.h"

namespace baton {
namespace {

absl::string_view View(grpc::string_ref s) { return absl::string_view(s.data(), s.size()); }

// Runs inline in gRPC's auth filter, before any handler; it consumes the
// authorization header, so no handler (or its logs) ever sees a token.
class TokenCheck final : public grpc::AuthMetadataProcessor {
 public:
  explicit TokenCheck(auth::Tokens tokens) : tokens_(std::move(tokens)) {}

  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext*, OutputMetadata* consumed,
                       OutputMetadata*) override {
    absl::string_view path;
    if (auto it = metadata.find(":path"); it != metadata.end()) path = View(it->second);
    std::vector<absl::string_view> authorization;
    auto [begin, end] = metadata.equal_range("authorization");
    for (auto it = begin; it != end; ++it) {
      authorization.push_back(View(it->second));
      consumed->insert({std::string(View(it->first)), std::string(View(it->second))});
    }
    absl::Status s = auth::CheckCall(tokens_, path, authorization);
    if (!s.ok()) spdlog::debug("refused a call: {}", s.ToString());
    return rpc::ToGrpcStatus(s);
  }

 private:
  const auth::Tokens tokens_;
};

absl::StatusOr<auth::Tokens> ReadTokens(const ServerSecurityOptions& o) {
  auth::Tokens tokens;
  auto worker = rpc::ReadToken(o.worker_token_file, kWorkerTokenEnv);
  if (!worker.ok()) return worker.status();
  auto op = rpc::ReadToken(o.operator_token_file, kOperatorTokenEnv);
  if (!op.ok()) return op.status();
  // Read once at start: no child process (the embedded PostgreSQL) inherits them.
  unsetenv(kWorkerTokenEnv);
  unsetenv(kOperatorTokenEnv);
  tokens.worker = *std::move(worker);
  tokens.operator_token = *std::move(op);
  if (absl::Status s = auth::ValidateTokens(tokens); !s.ok()) return s;
  return tokens;
}

absl::StatusOr<grpc::SslServerCredentialsOptions> TlsOptions(const ServerSecurityOptions& o) {
  auto cert = rpc::ReadFileContent(o.tls_cert_file, "--tls-cert");
  if (!cert.ok()) return cert.status();
  if (absl::Status s = rpc::CheckCertificateFile(
          *cert, absl::StrCat("--tls-cert \"", o.tls_cert_file, "\""), absl::Now());
      !s.ok()) {
    return s;
  }
  auto key = rpc::ReadFileContent(o.tls_key_file, "--tls-key");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_key_cert_pairs.push_back({*std::move(key), *std::move(cert)});
  if (!o.tls_client_ca_file.empty()) {
    auto ca = rpc::ReadFileContent(o.tls_client_ca_file, "--tls-client-ca");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *std::move(ca);
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return ssl;
}

absl::Status CheckCombination(const ServerSecurityOptions& o, bool tokens) {
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  const bool tls = !o.tls_cert_file.empty();
  if (!tls && !o.tls_client_ca_file.empty()) {
    return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
  }
  if (!tls && tokens) {
    return absl::InvalidArgumentError(
        "bearer tokens need TLS (--tls-cert and --tls-key): a token sent in plaintext can be "
        "read by anyone on the path");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ServerSecurity> MakeServerSecurity(const ServerSecurityOptions& options) {
  auto tokens = ReadTokens(options);
  if (!tokens.ok()) return tokens.status();
  if (absl::Status s = CheckCombination(options, tokens->enabled()); !s.ok()) return s;
  ServerSecurity security;
  if (options.tls_cert_file.empty()) {
    security.credentials = grpc::InsecureServerCredentials();
    security.summary = "plaintext, no tokens";
    return security;
  }
  auto tls = TlsOptions(options);
  if (!tls.ok()) return tls.status();
  security.credentials = grpc::SslServerCredentials(*tls);
  security.summary =
      options.tls_client_ca_file.empty() ? "TLS" : "TLS, client certificates required";
  if (tokens->enabled()) {
    security.credentials->SetAuthMetadataProcessor(
        std::make_shared<TokenCheck>(*std::move(tokens)));
    absl::StrAppend(&security.summary, ", bearer tokens");
  }
  return security;
}

}  // namespace baton
