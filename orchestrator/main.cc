// baton-orchestrator: serves the Baton APIs over gRPC with state in PostgreSQL.
//   baton-orchestrator [serve] [--listen ADDR] [--database-url URL | --data-dir DIR] ...
//   baton-orchestrator migrate [--database-url URL | --data-dir DIR]
#include <signal.h>

#include <fstream>
#include <iostream>

#include "CLI/CLI.hpp"
#include "common/base/cli_flags.h"
#include "common/base/logging.h"
#include "orchestrator/orchestrator.h"
#include "spdlog/spdlog.h"

namespace {

void AddDatabaseOptions(CLI::App& app, baton::OrchestratorOptions& o) {
  app.add_option("--database-url", o.database_url,
                 "PostgreSQL connection string or URI; empty: an embedded PostgreSQL in --data-dir")
      ->envname("BATON_DATABASE_URL");
  app.add_option("--data-dir", o.data_dir, "folder of the embedded PostgreSQL")
      ->envname("BATON_DATA_DIR")
      ->capture_default_str();
}

void AddMetricsOptions(CLI::App& app, baton::OrchestratorOptions& o,
                       std::string& metrics_ready_file) {
  app.add_option("--metrics-address", o.metrics_address,
                 "serve Prometheus metrics at http://HOST:PORT/metrics (port 0: any free port); "
                 "empty: off")
      ->envname("BATON_METRICS_ADDRESS");
  app.add_option("--metrics-ready-file", metrics_ready_file,
                 "write the bound metrics address to this file once serving");
}

// Files only (or the variables named in --help): a secret on the command line
// is visible to every user of the host.
void AddSecurityOptions(CLI::App& app, baton::ServerSecurityOptions& s) {
  app.add_option("--tls-cert", s.tls_cert_file,
                 "PEM certificate chain; with --tls-key: TLS on the port")
      ->envname("BATON_TLS_CERT");
  app.add_option("--tls-key", s.tls_key_file, "PEM private key of --tls-cert")
      ->envname("BATON_TLS_KEY");
  app.add_option("--tls-client-ca", s.tls_client_ca_file,
                 "PEM CA: every client must present a certificate it signed (mutual TLS)")
      ->envname("BATON_TLS_CLIENT_CA");
  app.add_option("--worker-token-file", s.worker_token_file,
                 "file holding the bearer token of workers; else $BATON_WORKER_TOKEN")
      ->envname("BATON_WORKER_TOKEN_FILE");
  app.add_option("--operator-token-file", s.operator_token_file,
                 "file holding the bearer token of operators (the CLI); else $BATON_OPERATOR_TOKEN")
      ->envname("BATON_OPERATOR_TOKEN_FILE");
}

// Written under a temporary name and renamed: a reader never sees half a line.
void WriteReadyFile(const std::string& path, const std::string& address) {
  if (path.empty()) return;
  std::ofstream(path + ".tmp") << address << "\n";
  std::rename((path + ".tmp").c_str(), path.c_str());
}

void AddServeOptions(CLI::App& app, baton::OrchestratorOptions& o, std::string& ready_file) {
  app.add_option("--listen", o.listen, "gRPC listen address (port 0: any free port)")
      ->envname("BATON_LISTEN")
      ->capture_default_str();
  app.add_flag("!--no-migrate", o.migrate, "do not apply migrations at start");
  app.add_option("--db-pool-size", o.db_pool_size, "database connections")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  baton::AddDurationOption(app, "--lease-duration", &o.worker.lease_duration,
                           "how long a lease lasts without a heartbeat");
  baton::AddDurationOption(app, "--delivery-timeout", &o.worker.delivery_timeout,
                           "a lease the worker does not acknowledge within this is leased "
                           "again, without spending an attempt");
  baton::AddDurationOption(app, "--heartbeat-interval", &o.worker.heartbeat_interval,
                           "how often workers heartbeat (must be well under the lease)");
  baton::AddDurationOption(app, "--max-poll-wait", &o.worker.max_poll_wait,
                           "longest a worker's poll waits for work");
  baton::AddDurationOption(app, "--reaper-interval", &o.reaper_interval,
                           "how often the timers (leases, retries, timeouts) run");
  baton::AddDurationOption(app, "--schedule-horizon", &o.schedule_horizon,
                           "how far ahead scheduled runs are created");
  baton::AddDurationOption(app, "--scheduler-interval", &o.scheduler_interval,
                           "how often deployments are scheduled and due runs started");
  baton::AddDurationOption(app, "--execution-grace", &o.execution_grace,
                           "how long past an execution timeout a worker may take to report");
  baton::AddDurationOption(app, "--worker-liveness", &o.worker_liveness,
                           "a worker not seen for this long is shown as LOST");
  baton::AddDurationOption(app, "--health-interval", &o.health_interval,
                           "how often the database is probed for the gRPC health service");
  baton::AddDurationOption(app, "--max-watch", &o.max_watch,
                           "longest a `run watch` stream lasts before DEADLINE_EXCEEDED");
  app.add_option("--ready-file", ready_file,
                 "write the bound address to this file once serving (for scripts and tests)");
}

// Blocks SIGINT/SIGTERM in every thread, then waits for one in this thread.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int Serve(const baton::OrchestratorOptions& options, const std::string& ready_file,
          const std::string& metrics_ready_file) {
  const sigset_t stop_signals = BlockStopSignals();
  auto orchestrator = baton::Orchestrator::Start(options);
  if (!orchestrator.ok()) {
    spdlog::error("cannot start: {}", orchestrator.status().ToString());
    return 1;
  }
  WriteReadyFile(metrics_ready_file, (*orchestrator)->metrics_address());
  WriteReadyFile(ready_file, (*orchestrator)->address());
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("received signal {}", signal_number);
  (*orchestrator)->Shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"baton-orchestrator: the Baton workflow orchestrator"};
  baton::OrchestratorOptions options;
  std::string ready_file;
  std::string metrics_ready_file;
  std::string log_level = "info";
  std::string log_format = "text";
  app.add_option("--log-level", log_level, "debug, info, warn or error")->capture_default_str();
  app.add_option("--log-format", log_format, "text or json (one JSON object per line)")
      ->capture_default_str();
  AddDatabaseOptions(app, options);
  AddServeOptions(app, options, ready_file);
  AddMetricsOptions(app, options, metrics_ready_file);
  AddSecurityOptions(app, options.security);
  CLI::App* migrate = app.add_subcommand("migrate", "apply database migrations and exit");
  CLI::App* serve = app.add_subcommand("serve", "serve (the default)");
  (void)serve;
  CLI11_PARSE(app, argc, argv);
  if (absl::Status s = baton::SetUpLogging("orchestrator", log_level, log_format); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 2;
  }
  if (migrate->parsed()) {
    absl::Status s = baton::MigrateOnly(options);
    if (!s.ok()) {
      spdlog::error("migrate: {}", s.ToString());
      return 1;
    }
    return 0;
  }
  return Serve(options, ready_file, metrics_ready_file);
}
