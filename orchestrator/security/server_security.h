// The orchestrator's transport security: TLS (optionally requiring client
// certificates) and the bearer-token check of every call (orchestrator/
// auth_rules.h), as credentials for the gRPC server's listening port.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace grpc {
class ServerCredentials;
}

namespace baton {

// Environment variables holding the tokens when no token file is given.
inline constexpr char kWorkerTokenEnv[] = "BATON_WORKER_TOKEN";
inline constexpr char kOperatorTokenEnv[] = "BATON_OPERATOR_TOKEN";

struct ServerSecurityOptions {
  std::string tls_cert_file;        // PEM certificate chain; empty: plaintext
  std::string tls_key_file;         // its private key
  std::string tls_client_ca_file;   // clients must present a certificate it signed
  std::string worker_token_file;    // empty: $BATON_WORKER_TOKEN; neither: no tokens
  std::string operator_token_file;  // empty: $BATON_OPERATOR_TOKEN
};

struct ServerSecurity {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  std::string summary;  // for the log, e.g. "TLS, client certificates required, bearer tokens"
};

// Reads the files (and variables) and builds the credentials. Errors:
// NOT_FOUND for an unreadable file; INVALID_ARGUMENT for a certificate
// expired or not yet valid (rpc::CheckCertificateFile: the file and the
// dates), a certificate without its key (or the reverse), a client CA or tokens without TLS (a
// bearer token is never accepted in plaintext), and tokens that break
// auth::ValidateTokens.
absl::StatusOr<ServerSecurity> MakeServerSecurity(const ServerSecurityOptions& options);

}  // namespace baton
