#include "orchestrator/engine/attempt_rules.h"

#include "absl/strings/str_cat.h"

namespace baton::engine {

using model::AttemptState;
using model::TaskRunState;

namespace {

AttemptState AttemptStateFor(FailureKind kind) {
  switch (kind) {
    case FailureKind::kError:
      return AttemptState::kFailed;
    case FailureKind::kExecutionTimeout:
      return AttemptState::kTimedOut;
    case FailureKind::kLeaseLost:
      return AttemptState::kLeaseExpired;
    case FailureKind::kCancelled:
      return AttemptState::kCancelled;
  }
  return AttemptState::kFailed;
}

TaskRunState FinalStateFor(FailureKind kind) {
  switch (kind) {
    case FailureKind::kError:
      return TaskRunState::kFailed;
    case FailureKind::kExecutionTimeout:
    case FailureKind::kLeaseLost:
      return TaskRunState::kTimedOut;
    case FailureKind::kCancelled:
      return TaskRunState::kCancelled;
  }
  return TaskRunState::kFailed;
}

AttemptEnding Failed(FailureKind kind, std::string error, std::string error_type, bool final_error,
                     const TaskPolicy& policy, int attempt, double unit_random) {
  if (policy.cancel_requested) kind = FailureKind::kCancelled;
  AttemptEnding e;
  e.attempt_state = AttemptStateFor(kind);
  e.error = BoundErrorMessage(std::move(error));
  e.error_type = std::move(error_type);
  e.retry = DecideRetry(policy.retry, {attempt, kind, e.error_type, final_error}, unit_random);
  e.breaker_failure = kind != FailureKind::kCancelled;
  if (e.retry.retry) {
    e.task_state =
        e.retry.delay > absl::ZeroDuration() ? TaskRunState::kAwaitingRetry : TaskRunState::kReady;
    e.decision = e.retry.reason;
    return e;
  }
  e.task_state = FinalStateFor(kind);
  e.activate_fallback = policy.has_fallback && kind != FailureKind::kCancelled;
  e.decision =
      absl::StrCat("final: ", e.retry.reason, e.activate_fallback ? "; the fallback runs" : "");
  return e;
}

}  // namespace

AttemptEnding DecideReported(const ReportedOutcome& outcome, const TaskPolicy& policy, int attempt,
                             double unit_random) {
  const std::string& error_type = outcome.error_type;
  if (outcome.succeeded) {
    AttemptDecision checked = DecideAttempt(outcome);
    if (checked.task_state == TaskRunState::kCompleted) {
      AttemptEnding e;
      e.attempt_state = AttemptState::kSucceeded;
      e.task_state = TaskRunState::kCompleted;
      e.result = std::move(checked.result);
      e.breaker_success = true;
      e.decision = "succeeded";
      return e;
    }
    return Failed(FailureKind::kError, checked.error, "InvalidResult", true, policy, attempt,
                  unit_random);
  }
  FailureKind kind = FailureKind::kError;
  if (error_type == kExecutionTimeoutErrorType) kind = FailureKind::kExecutionTimeout;
  if (error_type == kCancelledErrorType && policy.cancel_requested) kind = FailureKind::kCancelled;
  if (error_type == kLeaseLostErrorType) kind = FailureKind::kLeaseLost;
  return Failed(kind, outcome.error.empty() ? "handler failed without a message" : outcome.error,
                error_type, outcome.non_retryable && kind != FailureKind::kLeaseLost, policy,
                attempt, unit_random);
}

AttemptEnding DecideUndelivered(const TaskPolicy& policy, absl::string_view why) {
  AttemptEnding e;
  e.attempt_state = AttemptState::kUndelivered;
  e.undelivered = true;
  e.error = BoundErrorMessage(std::string(why));
  e.error_type = kUndeliveredErrorType;
  if (policy.cancel_requested) {
    e.task_state = TaskRunState::kCancelled;
    e.decision = "final: the run is being cancelled";
    return e;
  }
  e.task_state = TaskRunState::kReady;
  e.decision = "leased again at once; an undelivered attempt is not counted";
  return e;
}

AttemptEnding DecideExpired(Expiry expiry, const TaskPolicy& policy, int attempt,
                            double unit_random) {
  if (expiry == Expiry::kUndelivered) {
    return DecideUndelivered(policy,
                             "lease not acknowledged within the delivery timeout: the worker "
                             "did not take it (gone, frozen or cut off)");
  }
  if (expiry == Expiry::kExecutionTimeout) {
    return Failed(FailureKind::kExecutionTimeout,
                  "execution timeout: the attempt did not finish in time",
                  kExecutionTimeoutErrorType, false, policy, attempt, unit_random);
  }
  return Failed(FailureKind::kLeaseLost,
                "lease expired: no heartbeat or completion within the heartbeat timeout",
                "LeaseExpired", false, policy, attempt, unit_random);
}

std::optional<Expiry> DueExpiry(const AttemptDeadlines& d, absl::Duration grace, absl::Time now) {
  if (d.execution_deadline != absl::InfiniteFuture() && now >= d.execution_deadline + grace) {
    return Expiry::kExecutionTimeout;
  }
  if (now >= d.lease_expires_at) {
    return d.acknowledged ? Expiry::kLeaseLost : Expiry::kUndelivered;
  }
  return std::nullopt;
}

}  // namespace baton::engine
