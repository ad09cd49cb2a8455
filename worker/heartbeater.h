// Heartbeats the attempts held, all of them in one call, and stops those the
// worker must not go on running: past their execution deadline, cancelled or
// lease lost by the orchestrator's answer, or presumed lost by the outage
// rule (worker/lease_presumption.h) when no heartbeat was accepted for a
// whole lease. Each call is bounded by HeartbeatCallDeadline. Internal to the
// SDK. Run() is the heartbeater's only entry point, on one thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "baton/v1/worker_service.pb.h"
#include "worker/attempt_registry.h"
#include "worker/orchestrator_client.h"
#include "worker/registration.h"

namespace baton::worker {

class Heartbeater {
 public:
  // `heartbeat_failed` (may be unset) is called after each failed call.
  // Every reference must outlive this object.
  Heartbeater(OrchestratorClient& client, const Registration& registration,
              AttemptRegistry& registry, absl::Duration rpc_timeout,
              std::function<void()> heartbeat_failed);

  // Until the worker's work has ended (AttemptRegistry::AwaitWorkEnded):
  // every tick stops the attempts past their execution deadline, and every
  // heartbeat interval (or a third of the shortest heartbeat timeout among
  // the attempts, if shorter) heartbeats them.
  void Run();

 private:
  absl::Duration Every();
  void EnforceDeadlines();
  void BeatOnce();
  void OnFailed(const absl::Status& error, absl::Time now);
  void Apply(const std::vector<v1::AttemptDirective>& directives, absl::Time now);

  OrchestratorClient& client_;
  const Registration& registration_;
  AttemptRegistry& registry_;
  const absl::Duration rpc_timeout_;
  const std::function<void()> heartbeat_failed_;
  // When an orchestrator last answered a heartbeat that its database was
  // unavailable (the outage rule). Only Run()'s thread touches it.
  absl::Time database_answer_at_ = absl::InfinitePast();
};

}  // namespace baton::worker
