// A PostgreSQL server on a test host (tests/support/netns.h): created with
// Debian's initdb in a temporary folder of its own, run as the unprivileged
// `postgres` user inside the host's network namespace, listening on the
// host's address (for the other hosts) and on a Unix socket in its folder
// (for the test process, which stays outside the namespaces). Stop and Start
// again to restart it; the destructor stops it and removes the folder.
// Not thread-safe.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "tests/support/netns.h"

namespace baton::testing {

class HostPostgres {
 public:
  // Creates the cluster (trusting connections from 10.77.0.0/24). Aborts
  // the test binary with the reason when initdb fails.
  HostPostgres(const NetnsNetwork& network, const std::string& host, int port = 5432);
  ~HostPostgres();
  HostPostgres(const HostPostgres&) = delete;
  HostPostgres& operator=(const HostPostgres&) = delete;

  // Appends `lines` to postgresql.conf; they apply from the next Start.
  absl::Status Configure(const std::string& lines);
  // Starts the server and waits until it accepts connections (bounded).
  absl::Status Start();
  // pg_ctl stop -m `mode`: "fast" ends sessions cleanly, "immediate" kills
  // the server (crash recovery at the next start). Gone when it returns.
  absl::Status Stop(const std::string& mode = "fast");
  bool running() const { return running_; }

  // libpq connection strings: over the test network, and from this process.
  std::string url() const;
  std::string local_url() const;
  const std::string& log_path() const { return log_; }

 private:
  absl::Status PgCtl(std::vector<std::string> args, absl::Duration timeout);

  const NetnsNetwork& network_;
  const std::string host_;
  const int port_;
  std::string dir_;
  std::string log_;
  bool running_ = false;
};

}  // namespace baton::testing
