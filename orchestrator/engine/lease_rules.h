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
  // When the database server last started (pg_postmaster_start_time()):
  // see LeaseLapsedInOutage. InfinitePast when unknown.
  absl::Time database_started_at = absl::InfinitePast();
};

// What a worker claims to hold.
struct AttemptClaim {
  int64_t task_run_id = 0;
  int32_t attempt = 0;
  std::string lease_token;
};

// The outage rule. A lease that ran out before the database server last
// started ran out because nobody could write a heartbeat (the database was
// down), not because its worker stopped: it is held, not expired. It stays
// held until the timer leader grants every running attempt a fresh lease
// (LeaseStore::GrantLeases), which the leader does before it expires anything
// each time it takes over (and a database restart always means a takeover,
// since the leader's lock dies with its session).
bool LeaseLapsedInOutage(absl::Time lease_expires_at, absl::Time database_started_at);

// True when the lease of `current` has run out at `now` and was not held
// through an outage (LeaseLapsedInOutage).
bool LeaseExpired(const TaskLeaseView& current, absl::Time now);

// OK when `claim` names the current attempt of `current`, its token matches,
// the task run is RUNNING and the lease has not expired at `now` (LeaseExpired). Otherwise
// FAILED_PRECONDITION saying which of these failed, e.g.
//   task run 17: attempt 1 is not current (attempt 2 is)
//   task run 17 attempt 1: lease expired at 2026-11-29T10:00:03Z
absl::Status CheckFence(const TaskLeaseView& current, const AttemptClaim& claim,
                        absl::Time now);

// The expiry a heartbeat at `now` grants. Leases only grow: never earlier than
// the current expiry.
absl::Time ExtendLease(absl::Time current_expiry, absl::Time now, absl::Duration lease);

}  // namespace baton::engine
