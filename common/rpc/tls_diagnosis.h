// Why a TLS connection to the orchestrator failed, said plainly. gRPC
// reports a failed handshake as UNAVAILABLE with OpenSSL's "certificate
// verify failed" (or "Peer name ... is not in peer certificate"), which never
// says whether the certificate expired, is not yet valid, is for another name
// or comes from a CA the client does not trust. gRPC 1.51 exposes no more
// than that text, so a client that sees UNAVAILABLE with TLS configured opens
// one TLS connection of its own with the same settings, lets OpenSSL verify
// the orchestrator's certificate while recording every problem, and says
// which. Blocking; thread-safe (no shared state).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/rpc/client_channel.h"

namespace baton::rpc {

// Pure. The "host:port" (or "[v6]:port") addresses a client with
// ChannelOptions::addresses dials: each entry of a list, the name of a
// "dns:" target, none for "unix:" targets.
std::vector<std::string> DialedAddresses(absl::string_view addresses);

// Opens a TLS connection to `address` and verifies the server's certificate
// as gRPC does — against `security.ca_file` (else the system's roots), for
// `security.server_name` (else the address's host), presenting the client
// certificate if one is configured — within `timeout`. Returns the problems
// in plain words, e.g. "the orchestrator's certificate (CN=server) expired on
// 2020-12-31T00:00:00Z (valid from ... to ...)", "... does not match the name
// \"10.0.0.1\": it is for DNS:baton.internal", "... is signed by an unknown
// CA (CN=ca): not one --tls-ca trusts", or the server's refusal of the client
// certificate. "" when the handshake succeeds, nothing answers, or the
// client's own files cannot be loaded.
std::string DiagnoseTlsHandshake(const std::string& address, const ClientSecurity& security,
                                 absl::Duration timeout);

// For a call over a channel opened with `options` that ended with `status`:
// when `status` is UNAVAILABLE and TLS is on, `status` with "TLS handshake
// with <address>: <problems>; " put before its message, for the first
// address (of at most four) whose handshake has a problem. Otherwise, or when
// no problem is found, `status` as it is. Takes up to 3 s per address tried.
absl::Status ExplainTlsFailure(const absl::Status& status, const ChannelOptions& options);

}  // namespace baton::rpc
