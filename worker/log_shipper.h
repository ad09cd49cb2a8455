// Ships the log lines attempts add to their context to the orchestrator
// (AppendLogs), every `flush_interval` for the attempts held and on demand
// for one attempt (its last lines, before its report). Internal to the SDK.
// Thread-safe: one shipment at a time, so an attempt's lines stay in order.
#pragma once

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "baton/v1/worker_service.pb.h"
#include "worker/attempt_registry.h"
#include "worker/orchestrator_client.h"
#include "worker/registration.h"
#include "worker/task_context.h"

namespace baton::worker {

class LogShipper {
 public:
  // Every argument must outlive this object.
  LogShipper(OrchestratorClient& client, const Registration& registration,
             AttemptRegistry& registry, absl::Duration flush_interval);

  // Ships every `flush_interval` until the worker's work has ended
  // (AttemptRegistry::AwaitWorkEnded). Runs on its own thread.
  void Run();

  struct Source {
    v1::AttemptRef ref;
    std::shared_ptr<TaskContext> ctx;
  };
  // Sends what the attempts logged since their last shipment, in requests of
  // bounded size. Lines that cannot be delivered are counted as dropped (and
  // reported so with the attempt's next batch); nothing is sent while the
  // worker is not registered.
  void Ship(const std::vector<Source>& sources) ABSL_LOCKS_EXCLUDED(ship_mu_);

 private:
  void Send(const v1::AppendLogsRequest& request,
            const std::vector<std::pair<TaskContext*, int>>& counts)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(ship_mu_);

  OrchestratorClient& client_;
  const Registration& registration_;
  AttemptRegistry& registry_;
  const absl::Duration flush_interval_;
  absl::Mutex ship_mu_;  // held for a whole shipment; guards no data
};

}  // namespace baton::worker
