// The work of one slot: takes the next admitted lease, runs its attempt
// through its handler (worker/attempt_runner.h), ships the attempt's last log
// lines and reports the completion (CompleteAttempt), with the error type of
// the runtime's stop reason, if it stopped the attempt. Internal to the SDK.
// Thread-safe: each slot thread calls Run() on one shared object.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "baton/v1/worker_service.pb.h"
#include "worker/attempt_registry.h"
#include "worker/log_shipper.h"
#include "worker/orchestrator_client.h"
#include "worker/registration.h"
#include "worker/task_context.h"
#include "worker/worker.h"

namespace baton::worker {

class SlotRunner {
 public:
  // Every reference must outlive this object; `handlers` must not change
  // while a slot runs.
  SlotRunner(const std::map<std::string, Handler>& handlers, const WorkerHooks& hooks,
             OrchestratorClient& client, const Registration& registration,
             AttemptRegistry& registry, LogShipper& shipper);

  // Runs leases as they are admitted, until the slot's work is over
  // (AttemptRegistry::NextLease).
  void Run();

 private:
  void Execute(const v1::Lease& lease);
  // The completion, with the error type of the runtime's stop reason.
  v1::CompleteAttemptRequest RunHandler(const v1::Lease& lease, TaskContext& ctx,
                                        const std::string& worker_id);
  // Retries transient failures with backoff, at most kMaxCompletionTries
  // that are not the orchestrator saying its database is unavailable, and no
  // longer than the drain.
  void Report(const v1::CompleteAttemptRequest& completion);

  const std::map<std::string, Handler>& handlers_;
  const WorkerHooks& hooks_;
  OrchestratorClient& client_;
  const Registration& registration_;
  AttemptRegistry& registry_;
  LogShipper& shipper_;
};

}  // namespace baton::worker
