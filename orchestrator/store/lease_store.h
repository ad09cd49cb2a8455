// The hot path: leasing ready tasks to workers, heartbeats, completions, and
// the reaper's expiry of lost leases. Every worker-driven UPDATE is fenced by
// (task run, attempt, lease token) in its WHERE clause. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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
  // An attempt past its execution deadline is ended `execution_grace` later
  // (the worker gets that long to stop its handler and report).
  explicit LeaseStore(PgPool& pool, absl::Duration execution_grace = absl::Seconds(5))
      : pool_(pool), execution_grace_(execution_grace) {}

  // Claims up to `max` READY task runs of `queues` whose handler `worker_id`
  // registered (routing by handler; oldest first) in one statement (FOR UPDATE SKIP LOCKED), each
  // as a new attempt with a fresh token and an unacknowledged lease that lasts `delivery_timeout`
  // (see engine::DecideUndelivered). Tasks behind a circuit breaker are leased only while it is
  // CLOSED, or as its single half-open probe once its cooldown passed. Marks their runs RUNNING.
  // Empty when nothing is ready.
  absl::StatusOr<std::vector<LeaseRecord>> LeaseTasks(const std::string& worker_id,
                                                      const std::vector<std::string>& queues,
                                                      int max, absl::Duration delivery_timeout);

  // Ends the unacknowledged attempts of `leases` UNDELIVERED at once, with
  // `why` (their poll was gone when they were granted): their tasks are READY
  // again and the attempts are not counted. Leases already acknowledged,
  // ended or superseded are left alone. Returns how many were released.
  absl::StatusOr<int> ReleaseLeases(const std::vector<engine::AttemptClaim>& leases,
                                    absl::string_view why);

  // Extends the leases of the claimed attempts (one statement for all) and
  // returns one outcome per claim, in order. The first heartbeat of an
  // attempt acknowledges its delivery and starts its heartbeat lease and its
  // execution deadline.
  absl::StatusOr<std::vector<HeartbeatOutcome>> Heartbeat(
      const std::string& worker_id, const std::vector<engine::AttemptClaim>& claims,
      absl::Duration lease);

  // Ends the claimed attempt with the reported outcome: completed, retried
  // per the task's policy (READY, or AWAITING_RETRY until its delay passes),
  // or failed for good (its fallback runs, or its downstream is skipped);
  // counts it in the task's circuit breaker and moves the run forward.
  // Returns FAILED_PRECONDITION (changing nothing) when the claim is not the
  // current attempt or its lease expired; NOT_FOUND when the task run does
  // not exist.
  absl::Status CompleteAttempt(const engine::AttemptClaim& claim,
                               const engine::ReportedOutcome& outcome);

  // Ends up to `limit` attempts whose lease expired (LEASE_EXPIRED: no
  // heartbeat within the heartbeat timeout) or whose execution deadline plus
  // the grace passed (TIMED_OUT), then retries or fails each per its task's
  // policy. A lost lease is retried even without a retry policy, up to
  // engine::kMinAttemptsForLostLeases attempts. Returns how many.
  absl::StatusOr<int> ExpireLeases(int limit);

  // The outage rule's grant: extends every running attempt's lease to at
  // least now + its heartbeat timeout (or `lease` when it has none), so that
  // no lease runs out before its worker had a full lease to heartbeat again.
  // The timer leader does this each time it takes over, before it expires
  // anything (the outage rule, engine/lease_rules.h). Returns how many it extended.
  absl::StatusOr<int> GrantLeases(absl::Duration lease);

 private:
  PgPool& pool_;
  const absl::Duration execution_grace_;
};

}  // namespace baton::store
