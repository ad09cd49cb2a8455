// Pure: the gRPC target for a list of orchestrator addresses.
#include <arpa/inet.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/rpc/client_channel.h"

namespace baton::rpc {
namespace {

// Targets gRPC resolves itself; a comma in them is theirs, not a list.
constexpr absl::string_view kSchemes[] = {"dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:"};

bool HasScheme(absl::string_view target) {
  for (absl::string_view scheme : kSchemes) {
    if (absl::StartsWith(target, scheme)) return true;
  }
  return false;
}

struct IpAddress {
  std::string host;
  std::string port;
  bool v6 = false;
};

absl::Status BadEntry(absl::string_view entry, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "orchestrator address \"", entry, "\": ", why,
      "; a list of several addresses takes IP:port entries (IPv6 as [addr]:port); for host "
      "names use one DNS name that resolves to every replica, e.g. dns:///baton.internal:7233"));
}

absl::StatusOr<IpAddress> ParseIpAddress(absl::string_view entry) {
  IpAddress ip;
  absl::string_view rest;
  if (absl::StartsWith(entry, "[")) {
    const size_t close = entry.find(']');
    if (close == absl::string_view::npos) return BadEntry(entry, "no closing ']'");
    ip.host = std::string(entry.substr(1, close - 1));
    ip.v6 = true;
    rest = entry.substr(close + 1);
  } else {
    const size_t colon = entry.rfind(':');
    if (colon == absl::string_view::npos) return BadEntry(entry, "no port");
    ip.host = std::string(entry.substr(0, colon));
    if (absl::StrContains(ip.host, ':')) return BadEntry(entry, "an IPv6 address needs brackets");
    rest = entry.substr(colon);
  }
  int port = 0;
  if (!absl::ConsumePrefix(&rest, ":") || !absl::SimpleAtoi(rest, &port) || port < 1 ||
      port > 65535) {
    return BadEntry(entry, "expected a port 1..65535 after the address");
  }
  ip.port = std::string(rest);
  unsigned char buffer[sizeof(struct in6_addr)];
  if (inet_pton(ip.v6 ? AF_INET6 : AF_INET, ip.host.c_str(), buffer) != 1) {
    return BadEntry(entry, ip.v6 ? "not an IPv6 address" : "not an IPv4 address");
  }
  return ip;
}

}  // namespace

absl::StatusOr<std::string> ChannelTarget(absl::string_view addresses) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(addresses);
  if (HasScheme(trimmed)) return std::string(trimmed);
  std::vector<absl::string_view> entries;
  for (absl::string_view entry : absl::StrSplit(trimmed, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (!entry.empty()) entries.push_back(entry);
  }
  if (entries.empty()) return absl::InvalidArgumentError("no orchestrator address given");
  if (entries.size() == 1) return std::string(entries[0]);
  std::vector<std::string> parts;
  bool v6 = false;
  for (absl::string_view entry : entries) {
    absl::StatusOr<IpAddress> ip = ParseIpAddress(entry);
    if (!ip.ok()) return ip.status();
    if (!parts.empty() && ip->v6 != v6) {
      return BadEntry(entry, "IPv4 and IPv6 addresses cannot be mixed in one list");
    }
    v6 = ip->v6;
    parts.push_back(v6 ? absl::StrCat("[", ip->host, "]:", ip->port)
                       : absl::StrCat(ip->host, ":", ip->port));
  }
  return absl::StrCat(v6 ? "ipv6:" : "ipv4:", absl::StrJoin(parts, ","));
}

}  // namespace baton::rpc
