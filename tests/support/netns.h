// Separate hosts on one machine, for end-to-end tests: each host is a network
// namespace created by the test, plugged by a veth pair into a bridge that
// lives in a "switch" namespace of its own. Addresses are 10.77.0.N/24 inside
// these namespaces only: no namespace has a route out, nothing touches the
// machine's own network, and several runs never see each other (each has its
// own bridge).
//
// Namespaces are named "bmh<pid>-<host>". The constructor first removes the
// ones left by earlier runs whose process is gone (killing what still runs in
// them); the destructor removes this run's, also after a failed test.
//
// Needs root, `ip` (iproute2) and `nft` (nftables). Not thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace baton::testing {

class NetnsNetwork {
 public:
  // OK when this process can create namespaces and cut links: root, `ip`
  // and `nft` present. Otherwise FAILED_PRECONDITION saying what is missing.
  static absl::Status CheckCapable();

  // Creates the switch namespace and its bridge. Aborts the test binary with
  // the reason when that fails (call CheckCapable first for a clean failure).
  NetnsNetwork();
  ~NetnsNetwork();  // kills what runs in this run's namespaces, deletes them
  NetnsNetwork(const NetnsNetwork&) = delete;
  NetnsNetwork& operator=(const NetnsNetwork&) = delete;

  // Adds host `name` (letters and digits, at most 8): its namespace, a veth
  // into the bridge and the address 10.77.0.`number`/24. Returns the address.
  absl::StatusOr<std::string> AddHost(const std::string& name, int number);

  // The address of a host added before.
  const std::string& address(const std::string& host) const { return addresses_.at(host); }

  // `argv` run inside host `host` (through `ip netns exec`, which execs it:
  // the process id is the command's own).
  std::vector<std::string> In(const std::string& host, std::vector<std::string> argv) const;

  // Drops every packet in and out of `host` except on its loopback
  // (nftables rules inside its namespace); RestoreLink removes them.
  absl::Status CutLink(const std::string& host);
  absl::Status RestoreLink(const std::string& host);

  // Runs `argv` inside `host` and waits (bounded by `timeout`); the exit
  // code must be 0. Returns stdout.
  absl::StatusOr<std::string> Run(const std::string& host, std::vector<std::string> argv,
                                  absl::Duration timeout = absl::Seconds(20),
                                  const std::string& stdin_data = "") const;

 private:
  std::string Namespace(const std::string& host) const;

  const std::string prefix_;  // "bmh<pid>-"
  std::vector<std::string> namespaces_;
  std::map<std::string, std::string> addresses_;
};

// Runs a system command (argv) and waits, bounded; OK when it exits 0,
// otherwise INTERNAL with its stderr. Returns stdout.
absl::StatusOr<std::string> RunCommand(std::vector<std::string> argv,
                                       absl::Duration timeout = absl::Seconds(20),
                                       const std::string& stdin_data = "");

}  // namespace baton::testing
