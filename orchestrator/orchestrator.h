// The orchestrator process: database (embedded or given), migrations, stores,
// gRPC services, the ready listener and the lease reaper, wired together.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orchestrator/security/server_security.h"
#include "orchestrator/service/worker_service.h"

namespace baton {

struct OrchestratorOptions {
  std::string listen = "0.0.0.0:7233";
  std::string database_url;  // empty: embedded PostgreSQL in data_dir
  std::string data_dir = ".baton";
  bool migrate = true;  // apply migrations at start
  int db_pool_size = 16;
  service::WorkerServiceOptions worker;
  absl::Duration reaper_interval = absl::Seconds(1);    // how often the timers run
  absl::Duration execution_grace = absl::Seconds(5);    // past an execution deadline
  absl::Duration schedule_horizon = absl::Minutes(10);  // scheduled runs created this far ahead
  absl::Duration scheduler_interval = absl::Seconds(1);
  absl::Duration worker_liveness = absl::Seconds(60);
  absl::Duration shutdown_grace = absl::Seconds(5);
  absl::Duration health_interval = absl::Seconds(2);  // database probe for grpc.health.v1
  std::string metrics_address;     // Prometheus /metrics on host:port; empty: off
  ServerSecurityOptions security;  // TLS and bearer tokens; default: plaintext, no tokens
  absl::Duration max_watch = absl::Hours(1);  // longest a WatchRun stream lasts
};

class Orchestrator {
 public:
  // Starts everything; returns once the server accepts connections.
  static absl::StatusOr<std::unique_ptr<Orchestrator>> Start(const OrchestratorOptions& options);
  ~Orchestrator();  // Shutdown()

  // "host:port" actually bound (useful with port 0).
  const std::string& address() const;
  // "host:port" of /metrics actually bound; empty when metrics are off.
  const std::string& metrics_address() const;

  // Stops accepting calls, wakes long polls, waits up to shutdown_grace for
  // calls in flight, stops loops and the embedded database. Idempotent.
  void Shutdown();

  struct Parts;

 private:
  explicit Orchestrator(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

// Connects to `options.database_url` (or starts the embedded database) and
// applies the migrations: `baton-orchestrator migrate`.
absl::Status MigrateOnly(const OrchestratorOptions& options);

}  // namespace baton
