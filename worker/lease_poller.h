// Registers the worker, long-polls PollLeases while slots are free,
// acknowledges the leases it gets (their first heartbeat, before any handler
// starts: the delivery rule) and admits them to the registry for the slots.
// Registers again when the orchestrator forgot the worker; retries an
// unreachable orchestrator with backoff. Internal to the SDK. Run() is its
// only entry point, on one thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "baton/v1/worker_service.pb.h"
#include "worker/attempt_registry.h"
#include "worker/orchestrator_client.h"
#include "worker/registration.h"
#include "worker/task_context.h"
#include "worker/worker.h"

namespace baton::worker {

class LeasePoller {
 public:
  // Every reference must outlive this object; `handlers` (whose names are
  // registered) must not change while Run() runs.
  LeasePoller(const WorkerOptions& options, const std::map<std::string, Handler>& handlers,
              OrchestratorClient& client, Registration& registration, AttemptRegistry& registry);

  // Polls until the worker is stopping. Returns OK, or the orchestrator's
  // refusal of the worker (UNAUTHENTICATED, PERMISSION_DENIED,
  // INVALID_ARGUMENT), after which retrying cannot help: the refusal also
  // stops the worker.
  absl::Status Run();

 private:
  struct Taken {
    v1::Lease lease;
    bool cancel = false;  // acknowledged with a CANCEL directive
  };

  bool EnsureRegistered(int& failures);
  void PollOnce(int& failures);
  std::vector<Taken> Acknowledge(std::vector<v1::Lease> leases);
  void Admit(std::vector<Taken> taken);

  const WorkerOptions& options_;
  const std::map<std::string, Handler>& handlers_;
  OrchestratorClient& client_;
  Registration& registration_;
  AttemptRegistry& registry_;
  absl::Status refused_;  // only Run()'s thread touches it
};

}  // namespace baton::worker
