// What a PEM certificate chain says about itself — whom it is for, who
// signed it, when it is valid — and the check every binary makes of its own
// certificate at start: a certificate outside its validity window is refused
// with the file and the dates, rather than failing every handshake later
// with a message that never says why. OpenSSL stays inside the .cc.
// Thread-safe (no state).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace baton::rpc {

struct CertificateInfo {
  std::string subject;             // "CN=server" (RFC 2253, the most specific part first)
  std::string issuer;              // "CN=ca"
  std::vector<std::string> names;  // subjectAltName entries: "DNS:localhost", "IP:127.0.0.1"
  absl::Time not_before;
  absl::Time not_after;
};

// Every certificate in `pem`, in order (leaf first in a chain).
// INVALID_ARGUMENT when it holds none.
absl::StatusOr<std::vector<CertificateInfo>> ReadCertificates(absl::string_view pem);

// "2020-12-31T00:00:00Z".
std::string FormatCertificateTime(absl::Time t);

// Pure. OK when `now` lies within `certificate`'s window; otherwise what is
// wrong, without a subject: "expired on B (valid from A to B)" or "is not yet
// valid (valid from A to B)".
absl::Status CheckValidityWindow(const CertificateInfo& certificate, absl::Time now);

// Reads `pem` (the content of the file that `where` names, e.g.
// `--tls-cert "/etc/baton/server.pem"`) and checks every certificate in it
// at `now`. INVALID_ARGUMENT "<where>: the certificate (CN=server) expired on
// 2020-12-31T00:00:00Z (valid from 2020-01-01T00:00:00Z to
// 2020-12-31T00:00:00Z)" — "certificate 2 of 3" for one further down the
// chain — or "<where>: holds no PEM certificate".
absl::Status CheckCertificateFile(absl::string_view pem, absl::string_view where, absl::Time now);

}  // namespace baton::rpc
