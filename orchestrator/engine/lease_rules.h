// Rules that fence attempts: which heartbeat or completion may change a task
// run. Pure functions of (stored state, claim, database time); thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "orchestrator/engine/states.h"

namespace baton::engine {

// The lease-related columns of a task run, as locked by the store.
struct TaskLeaseView {
  int64_t task_run_id = 0;
  TaskRunState state = TaskRunState::kPending;
  int32_t attempt = 0;            // current attempt number; 0 before the first lease
  std::string lease_token;        // empty when no lease is held
  absl::Time lease_expires_at = absl::InfinitePast();
  bool cancel_requested = false;  // the run is being cancelled
};

// What a worker claims to hold.
struct AttemptClaim {
  int64_t task_run_id = 0;
  int32_t attempt = 0;
  std::string lease_token;
};

// OK when `claim` names the current attempt of `current`, its token matches,
// the task run is RUNNING and the lease has not expired at `now`. Otherwise
// FAILED_PRECONDITION saying which of these failed, e.g.
//   task run 17: attempt 1 is not current (attempt 2 is)
//   task run 17 attempt 1: lease expired at 2026-11-29T10:00:03Z
absl::Status CheckFence(const TaskLeaseView& current, const AttemptClaim& claim,
                        absl::Time now);

// The expiry a heartbeat at `now` grants. Leases only grow: never earlier than
// the current expiry.
absl::Time ExtendLease(absl::Time current_expiry, absl::Time now, absl::Duration lease);

}  // namespace baton::engine
