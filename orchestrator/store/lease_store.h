// The hot path: leasing ready tasks to workers, heartbeats, completions, and
// the reaper's expiry of lost leases. Every worker-driven UPDATE is fenced by
// (task run, attempt, lease token) in its WHERE clause. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orchestrator/engine/lease_rules.h"
#include "orchestrator/engine/run_rules.h"
#include "orchestrator/store/records.h"

namespace baton::store {

class PgPool;

struct HeartbeatOutcome {
  absl::Status status;  // OK, or FAILED_PRECONDITION saying why the lease is lost
  bool cancel_requested = false;
  absl::Time lease_expires_at = absl::InfinitePast();
};

class LeaseStore {
 public:
  explicit LeaseStore(PgPool& pool) : pool_(pool) {}

  // Claims up to `max` READY task runs of `queues` (oldest first) for
  // `worker_id` in one statement (FOR UPDATE SKIP LOCKED), each as a new
  // attempt with a fresh token and a lease of `lease`. Marks their runs
  // RUNNING. Empty when nothing is ready.
  absl::StatusOr<std::vector<LeaseRecord>> LeaseTasks(const std::string& worker_id,
                                                      const std::vector<std::string>& queues,
                                                      int max, absl::Duration lease);

  // Extends the leases of the claimed attempts (one statement for all) and
  // returns one outcome per claim, in order.
  absl::StatusOr<std::vector<HeartbeatOutcome>> Heartbeat(
      const std::string& worker_id, const std::vector<engine::AttemptClaim>& claims,
      absl::Duration lease);

  // Ends the claimed attempt with the reported outcome and moves the run
  // forward (downstream tasks ready or skipped, run finished). Returns
  // FAILED_PRECONDITION (changing nothing) when the claim is not the current
  // attempt or its lease expired; NOT_FOUND when the task run does not exist.
  absl::Status CompleteAttempt(const engine::AttemptClaim& claim,
                               const engine::ReportedOutcome& outcome);

  // Ends up to `limit` attempts whose lease expired (LEASE_EXPIRED) and makes
  // their task runs READY again for a new attempt. Returns how many.
  absl::StatusOr<int> ExpireLeases(int limit);

 private:
  PgPool& pool_;
};

}  // namespace baton::store
