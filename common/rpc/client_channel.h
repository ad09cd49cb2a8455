// How clients (workers, the CLI) reach the orchestrator: the gRPC target built
// from one address or several, TLS, and the bearer token sent on every call.
// grpc:: types stay out of this header. Thread-safe (no state).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace grpc {
class Channel;
}

namespace baton::rpc {

// The environment variable a client reads its bearer token from when no
// token file is given.
inline constexpr char kTokenEnv[] = "BATON_TOKEN";

struct ClientSecurity {
  bool tls = false;         // TLS with the system's roots; implied by any of the files below
  std::string ca_file;      // PEM roots that verify the orchestrator's certificate
  std::string cert_file;    // client certificate chain, for mutual TLS
  std::string key_file;     // its private key
  std::string server_name;  // the name checked in the server's certificate
  std::string token_file;   // bearer token; empty: `token`, else $BATON_TOKEN; none: no token
  std::string token;        // the token itself, when the program already holds it

  bool UsesTls() const {
    return tls || !ca_file.empty() || !cert_file.empty() || !key_file.empty();
  }
};

struct ChannelOptions {
  // "host:port"; a comma-separated list of IP "addr:port" (IPv4, or IPv6 in
  // brackets), one family per list; or a gRPC target ("dns:///name:port",
  // "ipv4:…", "unix:…") passed through as it is.
  std::string addresses;
  ClientSecurity security;
  // HTTP/2 pings, every this long, each answered within this long or the
  // connection is dropped (zero: off). The orchestrator accepts pings every second.
  absl::Duration keepalive = absl::ZeroDuration();
};

// Pure. The gRPC target for `addresses` (see ChannelOptions): one address is
// kept as it is; several become "ipv4:a:p,b:p" or "ipv6:[a]:p,[b]:p", which
// the round-robin policy spreads calls over and fails over between.
// INVALID_ARGUMENT, naming the entry, for an empty list, a host name or a
// missing port in a list of several, or IPv4 and IPv6 mixed: a list of
// several hosts by name is one DNS name that resolves to all of them.
absl::StatusOr<std::string> ChannelTarget(absl::string_view addresses);

// Reads the certificate and token files (or $BATON_TOKEN) and builds the
// channel, which connects lazily with round-robin over every address and a
// reconnect backoff of at most 5 s. The token travels only over TLS (gRPC
// refuses call credentials on a plaintext channel). Errors: INVALID_ARGUMENT
// for a bad address list, a token without TLS, a client certificate expired
// or not yet valid (CheckCertificateFile), or without its key (or the reverse), several addresses
// over TLS without a server name; NOT_FOUND for a file that cannot be read.
absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const ChannelOptions& options);

}  // namespace baton::rpc
