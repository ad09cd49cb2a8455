// Rules that fence attempts: which heartbeat or completion may change a task
// run. Pure functions of (stored state, claim, database time); thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "orchestrator/model/states.h"

namespace baton::engine {

// The lease-related columns of a task run, as locked by the store.
struct TaskLeaseView {
  int64_t task_run_id = 0;
  model::TaskRunState state = model::TaskRunState::kPending;
  int32_t attempt = 0;      // current attempt number; 0 before the first lease
  std::string lease_token;  // empty when no lease is held
  absl::Time lease_expires_at = absl::InfinitePast();
  bool cancel_requested = false;  // the run is being cancelled
};

// What a worker claims to hold.
struct AttemptClaim {
  int64_t task_run_id = 0;
  int32_t attempt = 0;
  std::string lease_token;
};

// The outage rule. A lease ends only when the timer leader ends it
// (LeaseStore::ExpireLeases), never merely because its time passed: until
// then, the attempt's heartbeats and its report are accepted. Each time a
// replica takes the lead of the timers — at start, on failover, and after any
// spell in which its own database calls failed or it made no progress (a
// database restart, a half-open link, a freeze) — it first grants every
// running, acknowledged attempt a fresh lease (LeaseStore::GrantLeases), and
// only then expires anything. So a worker that could not heartbeat because
// nobody could write is never mistaken for a dead one.

// OK when `claim` names the current attempt of `current`, its token matches
// and the task run is RUNNING (the outage rule: a lease whose time passed is
// still held until the timers end it). Otherwise FAILED_PRECONDITION saying
// which of these failed, e.g.
//   task run 17: attempt 1 is not current (attempt 2 is)
//   task run 17 attempt 1: task run is READY, not RUNNING
absl::Status CheckFence(const TaskLeaseView& current, const AttemptClaim& claim);

// The expiry a heartbeat at `now` grants. Leases only grow: never earlier than
// the current expiry.
absl::Time ExtendLease(absl::Time current_expiry, absl::Time now, absl::Duration lease);

}  // namespace baton::engine
