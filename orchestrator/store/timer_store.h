// The orchestrator's timers, kept in the database (lost leases and execution
// timeouts are LeaseStore::ExpireLeases): retry delays, schedule-to-start timeouts, circuit
// breakers that short-circuit to fallbacks, and flow timeouts. Safe in every replica at once (rows
// are claimed with SKIP LOCKED). Each sweep handles at most `limit` things and returns how many it
// changed. Thread-safe.
#pragma once

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace baton::store {

class PgPool;

class TimerStore {
 public:
  explicit TimerStore(PgPool& pool) : pool_(pool) {}

  // AWAITING_RETRY tasks whose retry time came become READY.
  absl::StatusOr<int> WakeRetries(int limit);

  // READY tasks not started within their schedule-to-start timeout end
  // TIMED_OUT (not retried; the fallback runs if there is one).
  absl::StatusOr<int> ExpireScheduleToStart(int limit);

  // READY tasks behind an open breaker whose policy is `when_open: fallback`
  // are short-circuited: SKIPPED, and their fallback runs.
  absl::StatusOr<int> ShortCircuit(int limit);

  // Runs past their flow timeout are stopped and end TIMED_OUT.
  absl::StatusOr<int> TimeOutRuns(int limit);

 private:
  PgPool& pool_;
};

}  // namespace baton::store
