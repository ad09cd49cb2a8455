// The worker SDK: a program registers handlers by name and calls Run(). The
// worker registers with the orchestrator, long-polls for leases with its free
// slots, runs each attempt on one of `slots` threads, heartbeats running
// attempts in batches, reports results, and reconnects with backoff while the
// orchestrator is unreachable. Stop() drains: no new polls, running attempts
// get `drain_timeout` to finish, then are cancelled.
//
//   baton::worker::Worker worker(options);
//   worker.Register("etl.extract", [](TaskContext& ctx, const json& in) -> absl::StatusOr<json> {
//     return json{{"items", {1, 2, 3}}};
//   });
//   return worker.Run().ok() ? 0 : 1;
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/rpc/client_channel.h"
#include "worker/handler_errors.h"  // NonRetryable, WithErrorType: for handlers
#include "worker/task_context.h"

namespace baton::worker {

// Called on worker threads as things happen (for metrics); each must be
// thread-safe and quick. Unset hooks are skipped.
struct WorkerHooks {
  // outcome: "succeeded", "failed", "timed_out" (execution timeout) or "cancelled".
  std::function<void(const std::string& outcome)> attempt_finished;
  std::function<void()> heartbeat_failed;
};

struct WorkerOptions {
  // One address, several (comma-separated IP:port) or a gRPC target; see
  // rpc::ChannelOptions::addresses.
  std::string orchestrator = "127.0.0.1:7233";
  rpc::ClientSecurity security;  // TLS and the bearer token
  std::string name;              // empty: hostname:pid
  std::vector<std::string> queues = {"default"};
  std::map<std::string, std::string> labels;
  int slots = 4;
  absl::Duration poll_wait = absl::Seconds(20);
  absl::Duration rpc_timeout = absl::Seconds(10);        // every RPC but the long poll
  absl::Duration log_flush_interval = absl::Seconds(1);  // attempts' log lines shipped this often
  absl::Duration drain_timeout = absl::Seconds(30);      // on Stop()
  absl::Duration max_backoff = absl::Seconds(10);        // reconnecting
  WorkerHooks hooks;
};

class Worker {
 public:
  explicit Worker(WorkerOptions options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Registers `handler` under `name` (see common/spec/flow.h for the name
  // rules). Call before Run(); a second registration of a name replaces it.
  void Register(const std::string& name, Handler handler);

  // Serves until Stop(); returns OK after draining. Errors for bad options
  // (INVALID_ARGUMENT), and when the orchestrator refuses the worker's
  // credentials (UNAUTHENTICATED, PERMISSION_DENIED) or its registration
  // (INVALID_ARGUMENT: e.g. no handler registered): retrying cannot help.
  // An unreachable orchestrator is retried.
  absl::Status Run();

  // Starts a drain; Run() returns when it is done. Thread-safe; may be called
  // before Run() (then Run() returns at once).
  void Stop();

  // Slots holding an attempt (queued or running). Thread-safe.
  int BusySlots() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace baton::worker
