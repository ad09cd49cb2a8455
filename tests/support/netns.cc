#include "tests/support/netns.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/process/subprocess.h"

namespace baton::testing {
namespace {

constexpr char kNamespacePrefix[] = "bmh";
constexpr char kSwitch[] = "sw";
constexpr char kBridge[] = "br0";
constexpr char kCutTable[] = "baton_cut";

// Loopback stays up: a cut host still talks to itself.
constexpr char kCutRules[] =
    "table inet baton_cut {\n"
    "  chain input { type filter hook input priority 0; policy drop; iif lo accept; }\n"
    "  chain output { type filter hook output priority 0; policy drop; oif lo accept; }\n"
    "}\n";

std::vector<std::string> ListNamespaces() {
  std::vector<std::string> names;
  auto listed = RunCommand({"ip", "netns", "list"});
  if (!listed.ok()) return names;
  for (absl::string_view line : absl::StrSplit(*listed, '\n', absl::SkipEmpty())) {
    names.emplace_back(line.substr(0, line.find(' ')));
  }
  return names;
}

// Kills whatever runs in namespace `name`, then deletes it.
void RemoveNamespace(const std::string& name) {
  auto pids = RunCommand({"ip", "netns", "pids", name});
  if (pids.ok()) {
    for (absl::string_view text : absl::StrSplit(*pids, '\n', absl::SkipEmpty())) {
      int pid = 0;
      if (absl::SimpleAtoi(text, &pid) && pid > 1) kill(pid, SIGKILL);
    }
  }
  (void)RunCommand({"ip", "netns", "delete", name});
}

// Namespaces "bmh<pid>-..." whose pid no longer runs: left by a run that died.
void RemoveStaleNamespaces() {
  for (const std::string& name : ListNamespaces()) {
    absl::string_view rest = name;
    if (!absl::ConsumePrefix(&rest, kNamespacePrefix)) continue;
    int pid = 0;
    if (!absl::SimpleAtoi(rest.substr(0, rest.find('-')), &pid) || pid <= 1) continue;
    if (kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::cerr << "removing stale test namespace " << name << "\n";
    RemoveNamespace(name);
  }
}

}  // namespace

absl::StatusOr<std::string> RunCommand(std::vector<std::string> argv, absl::Duration timeout,
                                       const std::string& stdin_data) {
  SubprocessOptions options;
  options.argv = argv;
  options.stdin_data = stdin_data;
  options.kill_grace = absl::Seconds(1);
  const absl::Time deadline = absl::Now() + timeout;
  auto result = RunSubprocess(options, [deadline] { return absl::Now() > deadline; });
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::InternalError(absl::StrCat("`", absl::StrJoin(argv, " "), "` failed",
                                            result->stopped ? " (timed out)" : "", ": ",
                                            result->stderr_tail));
  }
  return result->stdout_tail;
}

absl::Status NetnsNetwork::CheckCapable() {
  if (geteuid() != 0) {
    return absl::FailedPreconditionError("network namespaces need root; this test runs as uid " +
                                         std::to_string(geteuid()));
  }
  for (const char* tool : {"ip", "nft"}) {
    if (!RunCommand({"sh", "-c", absl::StrCat("command -v ", tool)}).ok()) {
      return absl::FailedPreconditionError(absl::StrCat("`", tool, "` is missing: apt-get install ",
                                                        tool[0] == 'i' ? "iproute2" : "nftables"));
    }
  }
  return absl::OkStatus();
}

NetnsNetwork::NetnsNetwork() : prefix_(absl::StrCat(kNamespacePrefix, getpid(), "-")) {
  RemoveStaleNamespaces();
  const std::string sw = Namespace(kSwitch);
  absl::Status s = RunCommand({"ip", "netns", "add", sw}).status();
  if (s.ok()) namespaces_.push_back(sw);
  for (const std::vector<std::string>& step :
       {std::vector<std::string>{"ip", "-n", sw, "link", "add", kBridge, "type", "bridge"},
        std::vector<std::string>{"ip", "-n", sw, "link", "set", kBridge, "up"}}) {
    if (s.ok()) s = RunCommand(step).status();
  }
  if (!s.ok()) {
    std::cerr << "cannot create the test network: " << s.ToString() << "\n";
    for (const std::string& name : namespaces_) RemoveNamespace(name);
    std::abort();
  }
}

NetnsNetwork::~NetnsNetwork() {
  for (auto it = namespaces_.rbegin(); it != namespaces_.rend(); ++it) RemoveNamespace(*it);
}

std::string NetnsNetwork::Namespace(const std::string& host) const { return prefix_ + host; }

absl::StatusOr<std::string> NetnsNetwork::AddHost(const std::string& name, int number) {
  const std::string ns = Namespace(name);
  const std::string sw = Namespace(kSwitch);
  const std::string port = "v" + name;  // the bridge's side, in the switch namespace
  const std::string address = absl::StrCat("10.77.0.", number);
  if (absl::Status s = RunCommand({"ip", "netns", "add", ns}).status(); !s.ok()) return s;
  namespaces_.push_back(ns);
  const std::vector<std::vector<std::string>> steps = {
      {"ip", "-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns},
      {"ip", "-n", sw, "link", "set", port, "master", kBridge},
      {"ip", "-n", sw, "link", "set", port, "up"},
      {"ip", "-n", ns, "addr", "add", address + "/24", "dev", "eth0"},
      {"ip", "-n", ns, "link", "set", "eth0", "up"},
      {"ip", "-n", ns, "link", "set", "lo", "up"},
  };
  for (const auto& step : steps) {
    if (absl::Status s = RunCommand(step).status(); !s.ok()) return s;
  }
  addresses_[name] = address;
  return address;
}

std::vector<std::string> NetnsNetwork::In(const std::string& host,
                                          std::vector<std::string> argv) const {
  std::vector<std::string> out = {"/usr/sbin/ip", "netns", "exec", Namespace(host)};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

absl::StatusOr<std::string> NetnsNetwork::Run(const std::string& host,
                                              std::vector<std::string> argv, absl::Duration timeout,
                                              const std::string& stdin_data) const {
  return RunCommand(In(host, std::move(argv)), timeout, stdin_data);
}

absl::Status NetnsNetwork::CutLink(const std::string& host) {
  return Run(host, {"nft", "-f", "-"}, absl::Seconds(10), kCutRules).status();
}

absl::Status NetnsNetwork::RestoreLink(const std::string& host) {
  return Run(host, {"nft", "delete", "table", "inet", kCutTable}).status();
}

}  // namespace baton::testing
