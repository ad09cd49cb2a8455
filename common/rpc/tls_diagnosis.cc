#include "common/rpc/tls_diagnosis.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/rpc/certificates.h"
#include "common/rpc/openssl_ptr.h"

namespace baton::rpc {
namespace {

constexpr int kMaxAddressesTried = 4;
constexpr absl::Duration kTimeoutPerAddress = absl::Seconds(3);

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

struct HostPort {
  std::string host;
  std::string port;
};

std::optional<HostPort> SplitHostPort(absl::string_view address) {
  if (absl::ConsumePrefix(&address, "[")) {
    const size_t close = address.find("]:");
    if (close == absl::string_view::npos) return std::nullopt;
    return HostPort{std::string(address.substr(0, close)), std::string(address.substr(close + 2))};
  }
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return HostPort{std::string(address), "443"};
  return HostPort{std::string(address.substr(0, colon)), std::string(address.substr(colon + 1))};
}

bool WaitWritable(int fd, absl::Duration timeout) {
  pollfd p{fd, POLLOUT, 0};
  if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) != 1) return false;
  int error = 0;
  socklen_t length = sizeof(error);
  return getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
}

// A connected blocking socket whose reads and writes time out; -1 when
// nothing accepts within `timeout`.
int Connect(const HostPort& to, absl::Duration timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(to.host.c_str(), to.port.c_str(), &hints, &found) != 0) return -1;
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> all(found, freeaddrinfo);
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    const bool now = connect(fd, a->ai_addr, a->ai_addrlen) == 0;
    if (!now && !(errno == EINPROGRESS && WaitWritable(fd, timeout))) {
      close(fd);
      continue;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    const timeval tv = absl::ToTimeval(timeout);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fd;
  }
  return -1;
}

struct VerifyError {
  int code;
  int depth;
};

// Records each problem and goes on, so that all of them can be told.
int RecordAndContinue(int ok, X509_STORE_CTX* store) {
  if (ok) return 1;
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* errors = static_cast<std::vector<VerifyError>*>(SSL_get_app_data(ssl));
  errors->push_back({X509_STORE_CTX_get_error(store), X509_STORE_CTX_get_error_depth(store)});
  return 1;
}

openssl::Ptr<SSL_CTX> MakeContext(const ClientSecurity& s) {
  openssl::Ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) return nullptr;
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  const bool roots =
      s.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx.get()) == 1
                        : SSL_CTX_load_verify_locations(ctx.get(), s.ca_file.c_str(), nullptr) == 1;
  if (!roots) return nullptr;
  if (!s.cert_file.empty() &&
      (SSL_CTX_use_certificate_chain_file(ctx.get(), s.cert_file.c_str()) != 1 ||
       SSL_CTX_use_PrivateKey_file(ctx.get(), s.key_file.c_str(), SSL_FILETYPE_PEM) != 1)) {
    return nullptr;
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, RecordAndContinue);
  return ctx;
}

// Asks OpenSSL to check `name` as part of verifying the chain.
void ExpectName(SSL* ssl, const std::string& name) {
  unsigned char ip[sizeof(in6_addr)];
  if (inet_pton(AF_INET, name.c_str(), ip) == 1 || inet_pton(AF_INET6, name.c_str(), ip) == 1) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
    return;
  }
  SSL_set1_host(ssl, name.c_str());
  SSL_set_tlsext_host_name(ssl, name.c_str());
}

// The certificates the server sent, leaf first.
std::vector<CertificateInfo> PeerChain(SSL* ssl) {
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  openssl::Ptr<BIO> pem(BIO_new(BIO_s_mem()));
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    PEM_write_bio_X509(pem.get(), sk_X509_value(chain, i));
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(pem.get(), &data);
  auto read = ReadCertificates(absl::string_view(data, size > 0 ? static_cast<size_t>(size) : 0));
  return read.ok() ? *std::move(read) : std::vector<CertificateInfo>{};
}

bool IsUnknownCa(int code) {
  switch (code) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return true;
    default:
      return false;
  }
}

std::string Names(const CertificateInfo& c) {
  return c.names.empty() ? absl::StrCat("\"", c.subject, "\" only") : absl::StrJoin(c.names, ", ");
}

// One verification problem in plain words.
std::string Describe(const VerifyError& e, const std::vector<CertificateInfo>& chain,
                     const std::string& name, const ClientSecurity& s) {
  const CertificateInfo* c = e.depth < static_cast<int>(chain.size()) ? &chain[e.depth] : nullptr;
  std::string who = e.depth == 0 ? "the orchestrator's certificate"
                                 : absl::StrCat("certificate ", e.depth + 1, " of its chain");
  if (c != nullptr) absl::StrAppend(&who, " (", c->subject, ")");
  const bool dates =
      e.code == X509_V_ERR_CERT_HAS_EXPIRED || e.code == X509_V_ERR_CERT_NOT_YET_VALID;
  if (c != nullptr && dates) {
    return absl::StrCat(who, " ", CheckValidityWindow(*c, absl::Now()).message());
  }
  if (c != nullptr &&
      (e.code == X509_V_ERR_HOSTNAME_MISMATCH || e.code == X509_V_ERR_IP_ADDRESS_MISMATCH)) {
    return absl::StrCat(who, " does not match the name \"", name, "\": it is for ", Names(*c),
                        "; connect by one of those names or set --tls-server-name");
  }
  if (IsUnknownCa(e.code)) {
    return absl::StrCat(who, " is signed by an unknown CA",
                        c ? absl::StrCat(" (", c->issuer, ")") : "", ": not one ",
                        s.ca_file.empty() ? "the system's roots hold" : "--tls-ca trusts");
  }
  return absl::StrCat(who, ": ", X509_verify_cert_error_string(e.code));
}

std::string DescribeAll(const std::vector<VerifyError>& errors, SSL* ssl, const std::string& name,
                        const ClientSecurity& s) {
  const std::vector<CertificateInfo> chain = PeerChain(ssl);
  std::vector<std::string> said;
  for (const VerifyError& e : errors) {
    std::string text = Describe(e, chain, name, s);
    if (std::find(said.begin(), said.end(), text) == said.end()) said.push_back(std::move(text));
  }
  return absl::StrJoin(said, "; ");
}

// OpenSSL's reason for the last failure, e.g. "tlsv13 alert certificate required".
std::string LastSslError() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (ERR_GET_REASON(code) == SSL_R_WRONG_VERSION_NUMBER) {
    return "the server does not answer in TLS (an orchestrator started without --tls-cert?)";
  }
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "";
}

// After a handshake the client found nothing wrong with: whether the server
// refused the client's certificate (under TLS 1.3 it says so only now).
std::string ServerRefusal(SSL* ssl) {
  char byte;
  const int read = SSL_peek(ssl, &byte, 1);
  if (read > 0 || SSL_get_error(ssl, read) != SSL_ERROR_SSL) return "";
  const std::string reason = LastSslError();
  return reason.empty() ? "" : absl::StrCat("the orchestrator refused the connection: ", reason);
}

std::string Handshake(SSL* ssl, const std::string& name, const ClientSecurity& s) {
  std::vector<VerifyError> errors;
  SSL_set_app_data(ssl, &errors);
  ExpectName(ssl, name);
  static const unsigned char kAlpn[] = {2, 'h', '2'};
  SSL_set_alpn_protos(ssl, kAlpn, sizeof(kAlpn));
  const bool done = SSL_connect(ssl) == 1;
  if (!errors.empty()) return DescribeAll(errors, ssl, name, s);
  if (!done) {
    const std::string reason = LastSslError();
    return reason.empty() ? "" : absl::StrCat("the handshake failed: ", reason);
  }
  return ServerRefusal(ssl);
}

}  // namespace

std::vector<std::string> DialedAddresses(absl::string_view addresses) {
  absl::string_view target = absl::StripAsciiWhitespace(addresses);
  if (absl::ConsumePrefix(&target, "dns:")) {
    if (absl::ConsumePrefix(&target, "//"))
      target = target.substr(std::min(target.find('/'), target.size()));
    absl::ConsumePrefix(&target, "/");
    return {std::string(target)};
  }
  if (absl::StartsWith(target, "unix:") || absl::StartsWith(target, "unix-abstract:")) return {};
  if (!absl::ConsumePrefix(&target, "ipv4:")) absl::ConsumePrefix(&target, "ipv6:");
  std::vector<std::string> out;
  for (absl::string_view entry : absl::StrSplit(target, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (!entry.empty()) out.emplace_back(entry);
  }
  return out;
}

std::string DiagnoseTlsHandshake(const std::string& address, const ClientSecurity& security,
                                 absl::Duration timeout) {
  const std::optional<HostPort> to = SplitHostPort(address);
  if (!to) return "";
  openssl::Ptr<SSL_CTX> ctx = MakeContext(security);
  if (ctx == nullptr) {
    ERR_clear_error();
    return "";
  }
  Socket socket(Connect(*to, timeout));
  if (socket.fd() < 0) return "";
  openssl::Ptr<SSL> ssl(SSL_new(ctx.get()));
  SSL_set_fd(ssl.get(), socket.fd());
  const std::string name = security.server_name.empty() ? to->host : security.server_name;
  std::string problem = Handshake(ssl.get(), name, security);
  ERR_clear_error();
  return problem;
}

absl::Status ExplainTlsFailure(const absl::Status& status, const ChannelOptions& options) {
  if (!absl::IsUnavailable(status) || !options.security.UsesTls()) return status;
  std::vector<std::string> addresses = DialedAddresses(options.addresses);
  if (addresses.size() > kMaxAddressesTried) addresses.resize(kMaxAddressesTried);
  for (const std::string& address : addresses) {
    const std::string problem = DiagnoseTlsHandshake(address, options.security, kTimeoutPerAddress);
    if (problem.empty()) continue;
    return absl::UnavailableError(
        absl::StrCat("TLS handshake with ", address, ": ", problem, "; ", status.message()));
  }
  return status;
}

}  // namespace baton::rpc
