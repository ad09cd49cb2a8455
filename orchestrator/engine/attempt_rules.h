// What happens when an attempt ends: reported by its worker, or expired by the
// orchestrator's timers (lost lease, execution timeout). Combines result
// validation, the retry policy, fallbacks, cancellation and what the circuit
// breaker should count. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/error_types.h"
#include "common/spec/flow.h"
#include "nlohmann/json.hpp"
#include "orchestrator/engine/retry_rules.h"
#include "orchestrator/engine/run_rules.h"
#include "orchestrator/model/states.h"

namespace baton::engine {

// The error types the worker reports (common/base/error_types.h).
using ::baton::kCancelledErrorType;
using ::baton::kExecutionTimeoutErrorType;
using ::baton::kLeaseLostErrorType;
using ::baton::kUndeliveredErrorType;

// What the orchestrator knows of the task whose attempt ended.
struct TaskPolicy {
  RetryPolicy retry;
  bool has_fallback = false;
  bool cancel_requested = false;  // the run is being cancelled or timed out
};

struct AttemptEnding {
  model::AttemptState attempt_state = model::AttemptState::kFailed;
  // COMPLETED, READY or AWAITING_RETRY (retry), FAILED, TIMED_OUT, CANCELLED.
  model::TaskRunState task_state = model::TaskRunState::kFailed;
  nlohmann::json result;  // when COMPLETED
  std::string error;      // the attempt's error, bounded
  std::string error_type;
  RetryDecision retry;             // for failures: the decision and its delay
  bool activate_fallback = false;  // failed for good and a fallback stands in
  bool breaker_success = false;    // what the task's circuit breaker should count
  bool breaker_failure = false;
  // The attempt never started (UNDELIVERED): it is not counted against the
  // task's retries, and a half-open breaker's probe slot goes back.
  bool undelivered = false;
  std::string decision;  // one line for the attempt's history
};

// A worker's report. A "success" whose result is invalid (see DecideAttempt)
// is a non-retryable failure.
AttemptEnding DecideReported(const ReportedOutcome& outcome, const TaskPolicy& policy, int attempt,
                             double unit_random);

enum class Expiry { kLeaseLost, kExecutionTimeout, kUndelivered };

// The orchestrator's timers ended the attempt (kUndelivered: see DecideUndelivered).
AttemptEnding DecideExpired(Expiry expiry, const TaskPolicy& policy, int attempt,
                            double unit_random);

// The delivery rule. A lease is granted unacknowledged, for the delivery
// timeout only; the worker acknowledges it with its first heartbeat and only
// then starts the handler. A lease that was not acknowledged in time, or
// whose poll was gone when it was granted, never ran: the attempt ends
// UNDELIVERED, the task is READY again at once (no retry delay) and the
// attempt is not counted against its retries, its breaker or its lost-lease
// budget. A run being cancelled ends the task CANCELLED instead.
AttemptEnding DecideUndelivered(const TaskPolicy& policy, absl::string_view why);

// The deadlines of a running attempt, and which one has passed at `now`:
// execution (deadline + grace) is checked before the lease; the lease of an
// unacknowledged attempt is its delivery timeout (Expiry::kUndelivered).
struct AttemptDeadlines {
  absl::Time lease_expires_at = absl::InfiniteFuture();
  absl::Time execution_deadline = absl::InfiniteFuture();  // InfiniteFuture: no timeout
  bool acknowledged = true;
};
std::optional<Expiry> DueExpiry(const AttemptDeadlines& deadlines, absl::Duration grace,
                                absl::Time now);

}  // namespace baton::engine
