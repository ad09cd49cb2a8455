// A private PostgreSQL cluster in a data folder: the orchestrator's embedded
// default (no --database-url) and the test harness's database.
//
// Uses Debian's server binaries (initdb, pg_ctl). When running as root, the
// cluster belongs to and runs as the unprivileged `postgres` user, since
// PostgreSQL refuses to run as root. The server listens only on a Unix socket
// inside the data folder, so several clusters never collide on a TCP port.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace baton::store {

struct EmbeddedPostgresOptions {
  std::string data_dir;  // created if missing; holds postgres/{data,run,server.log}
  std::string bin_dir;   // empty: the newest /usr/lib/postgresql/<version>/bin
  std::string database = "baton";
  bool durable = true;  // false (tests): no fsync, faster start and commits
  absl::Duration start_timeout = absl::Seconds(60);
};

class EmbeddedPostgres {
 public:
  // Creates the cluster on first use (initdb), starts the server (or adopts
  // one already running on this folder), and creates the database. Errors
  // name the step and include the tail of the server log.
  static absl::StatusOr<std::unique_ptr<EmbeddedPostgres>> Start(
      const EmbeddedPostgresOptions& options);

  ~EmbeddedPostgres();  // Stop()
  EmbeddedPostgres(const EmbeddedPostgres&) = delete;
  EmbeddedPostgres& operator=(const EmbeddedPostgres&) = delete;

  // Fast shutdown (bounded). Idempotent.
  absl::Status Stop();

  // libpq connection string for `database` (or another on this server).
  std::string url() const { return UrlFor(options_.database); }
  std::string UrlFor(const std::string& database) const;

  // Creates `database` unless it exists.
  absl::Status CreateDatabase(const std::string& database);

 private:
  EmbeddedPostgres(EmbeddedPostgresOptions options, std::string bin_dir);
  absl::Status InitIfNeeded();
  absl::Status StartServer();
  absl::Status RunTool(const std::string& tool, std::vector<std::string> args);
  std::string LogTail() const;

  const EmbeddedPostgresOptions options_;
  const std::string bin_dir_;
  const std::string root_;  // <data_dir>/postgres
  bool running_ = false;
};

}  // namespace baton::store
