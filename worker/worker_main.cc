#include "worker/worker_main.h"

#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "common/base/cli_flags.h"
#include "common/base/logging.h"
#include "common/rpc/client_flags.h"
#include "spdlog/spdlog.h"
#include "worker/worker_metrics.h"

namespace baton::worker {
namespace {

void AddWorkerOptions(CLI::App& app, WorkerOptions& o, std::vector<std::string>& labels) {
  rpc::AddAddressesOption(app, "--orchestrator", o.orchestrator);
  rpc::AddClientSecurityOptions(app, o.security);
  app.add_option("--name", o.name, "worker name (default hostname:pid)");
  app.add_option("--queue", o.queues, "queue to take tasks from (repeatable)")
      ->capture_default_str();
  app.add_option("--label", labels, "label key=value (repeatable)");
  app.add_option("--slots", o.slots, "attempts run at once")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  AddDurationOption(app, "--poll-wait", &o.poll_wait, "how long one poll waits for work");
  AddDurationOption(app, "--drain-timeout", &o.drain_timeout,
                    "on SIGTERM, how long running attempts may take before being cancelled");
}

struct MetricsFlags {
  std::string address;
  std::string ready_file;
};

void AddMetricsOptions(CLI::App& app, MetricsFlags& m) {
  app.add_option("--metrics-address", m.address,
                 "serve Prometheus metrics at http://HOST:PORT/metrics (port 0: any free port); "
                 "empty: off")
      ->envname("BATON_WORKER_METRICS_ADDRESS");
  app.add_option("--metrics-ready-file", m.ready_file,
                 "write the bound metrics address to this file once serving");
}

// Starts the endpoint (null when off) and makes `options` count into it.
absl::StatusOr<std::unique_ptr<WorkerMetrics>> StartMetrics(const MetricsFlags& m,
                                                            WorkerOptions& options) {
  if (m.address.empty()) return nullptr;
  auto metrics = WorkerMetrics::Start(m.address);
  if (!metrics.ok()) return metrics.status();
  options.hooks = (*metrics)->Hooks();
  spdlog::info("metrics on http://{}/metrics", (*metrics)->address());
  if (!m.ready_file.empty()) {
    std::ofstream(m.ready_file + ".tmp") << (*metrics)->address() << "\n";
    std::rename((m.ready_file + ".tmp").c_str(), m.ready_file.c_str());
  }
  return metrics;
}

bool ParseLabels(const std::vector<std::string>& labels, WorkerOptions& o) {
  for (const auto& label : labels) {
    const size_t eq = label.find('=');
    if (eq == std::string::npos || eq == 0) {
      spdlog::error("--label \"{}\": expected key=value", label);
      return false;
    }
    o.labels[label.substr(0, eq)] = label.substr(eq + 1);
  }
  return true;
}

// Handlers (exec above all) inherit the environment: the worker keeps its
// token to itself. Done before any thread starts.
void TakeTokenFromEnvironment(rpc::ClientSecurity& security) {
  const char* token = std::getenv(rpc::kTokenEnv);
  if (token != nullptr && security.token_file.empty()) security.token = token;
  unsetenv(rpc::kTokenEnv);
}

}  // namespace

int WorkerMain(int argc, char** argv, const char* description,
               const std::function<void(Worker&)>& register_handlers) {
  CLI::App app{description};
  WorkerOptions options;
  std::vector<std::string> labels;
  std::string log_level = "info";
  std::string log_format = "text";
  MetricsFlags metrics_flags;
  AddWorkerOptions(app, options, labels);
  AddMetricsOptions(app, metrics_flags);
  app.add_option("--log-level", log_level, "debug, info, warn or error")->capture_default_str();
  app.add_option("--log-format", log_format, "text or json (one JSON object per line)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (absl::Status s = SetUpLogging("worker", log_level, log_format); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 2;
  }
  if (!ParseLabels(labels, options)) return 2;
  TakeTokenFromEnvironment(options.security);

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto metrics = StartMetrics(metrics_flags, options);
  if (!metrics.ok()) {
    spdlog::error("{}", metrics.status().ToString());
    return 1;
  }
  Worker worker(options);
  if (*metrics) (*metrics)->WatchSlots([&worker] { return worker.BusySlots(); }, options.slots);
  register_handlers(worker);
  std::atomic<bool> run_returned{false};
  std::thread signals([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (run_returned) return;
    spdlog::info("received signal {}; draining", sig);
    worker.Stop();
  });
  absl::Status s = worker.Run();
  // Run() returns after Stop(), which the signal thread called, or at once on
  // bad options (e.g. an unreadable certificate): then wake that thread.
  if (!s.ok()) {
    run_returned = true;
    pthread_kill(signals.native_handle(), SIGTERM);
  }
  signals.join();
  metrics->reset();  // scrapes ask `worker`, which goes next
  if (!s.ok()) {
    spdlog::error("{}", s.ToString());
    return 1;
  }
  return 0;
}

}  // namespace baton::worker
