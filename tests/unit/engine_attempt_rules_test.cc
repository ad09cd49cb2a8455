// Pure tests of how an attempt ends: reported by its worker (DecideReported),
// ended by the orchestrator's timers (DecideExpired), and which timer is due
// (DueExpiry, with a fake clock).
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "common/spec/flow.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orchestrator/engine/attempt_rules.h"

namespace baton::engine {

using model::AttemptState;
using model::TaskRunState;

namespace {

using json = nlohmann::json;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

ReportedOutcome Success(std::string result_json) {
  ReportedOutcome o;
  o.succeeded = true;
  o.result_json = std::move(result_json);
  return o;
}

ReportedOutcome Error(std::string error, std::string error_type = "", bool non_retryable = false) {
  ReportedOutcome o;
  o.succeeded = false;
  o.error = std::move(error);
  o.error_type = std::move(error_type);
  o.non_retryable = non_retryable;
  return o;
}

// `max_attempts` attempts, `delay` between them.
TaskPolicy Policy(int max_attempts = 1, absl::Duration delay = absl::ZeroDuration(),
                  bool has_fallback = false) {
  TaskPolicy p;
  p.retry.max_attempts = max_attempts;
  p.retry.delay_kind = RetryPolicy::DelayKind::kFixed;
  p.retry.delay = delay;
  p.has_fallback = has_fallback;
  return p;
}

TaskPolicy Cancelling(TaskPolicy p) {
  p.cancel_requested = true;
  return p;
}

// --- DecideReported: success ---

TEST(DecideReportedTest, SuccessCompletesTheTaskAndCountsForTheBreaker) {
  AttemptEnding e = DecideReported(Success(R"({"rows": 5})"), Policy(3, absl::Seconds(1)), 1, 0.5);
  EXPECT_EQ(e.attempt_state, AttemptState::kSucceeded);
  EXPECT_EQ(e.task_state, TaskRunState::kCompleted);
  EXPECT_EQ(e.result, json({{"rows", 5}}));
  EXPECT_TRUE(e.breaker_success);
  EXPECT_FALSE(e.breaker_failure);
  EXPECT_FALSE(e.activate_fallback);
  EXPECT_FALSE(e.retry.retry);
  EXPECT_EQ(e.error, "");
  EXPECT_EQ(e.decision, "succeeded");
}

TEST(DecideReportedTest, SuccessOnTheLastAttemptWithAFallbackDoesNotActivateIt) {
  AttemptEnding e = DecideReported(Success("null"), Policy(2, absl::Seconds(1), true), 2, 0.5);
  EXPECT_EQ(e.task_state, TaskRunState::kCompleted);
  EXPECT_EQ(e.result, json(nullptr));
  EXPECT_FALSE(e.activate_fallback);
}

// --- DecideReported: invalid results ---

void ExpectInvalidResult(const AttemptEnding& e, const std::string& error_part) {
  EXPECT_EQ(e.attempt_state, AttemptState::kFailed);
  EXPECT_EQ(e.task_state, TaskRunState::kFailed);
  EXPECT_EQ(e.error_type, "InvalidResult");
  EXPECT_THAT(e.error, HasSubstr(error_part));
  EXPECT_FALSE(e.retry.retry);
  EXPECT_EQ(e.retry.reason, "the handler marked the error non-retryable");
  EXPECT_EQ(e.decision, "final: the handler marked the error non-retryable");
  EXPECT_TRUE(e.breaker_failure);
  EXPECT_FALSE(e.breaker_success);
  EXPECT_TRUE(e.result.is_null());
}

TEST(DecideReportedTest, ResultThatIsNotJsonIsANonRetryableFailure) {
  AttemptEnding e = DecideReported(Success("{not json"), Policy(5, absl::Seconds(1)), 1, 0.5);
  ExpectInvalidResult(e, "result is not valid JSON");
}

TEST(DecideReportedTest, ResultTooLargeIsANonRetryableFailure) {
  const std::string big = "\"" + std::string(kMaxResultBytes, 'a') + "\"";
  AttemptEnding e = DecideReported(Success(big), Policy(5, absl::Seconds(1)), 1, 0.5);
  ExpectInvalidResult(e, "exceeds the bound of 1048576 bytes");
}

TEST(DecideReportedTest, ResultWithANulCharacterIsANonRetryableFailure) {
  AttemptEnding e =
      DecideReported(Success(R"({"name": "a\u0000b"})"), Policy(5, absl::Seconds(1)), 1, 0.5);
  ExpectInvalidResult(e, "U+0000");
}

TEST(DecideReportedTest, InvalidResultActivatesTheFallback) {
  AttemptEnding e = DecideReported(Success("[1,"), Policy(5, absl::Seconds(1), true), 1, 0.5);
  EXPECT_EQ(e.task_state, TaskRunState::kFailed);
  EXPECT_TRUE(e.activate_fallback);
  EXPECT_EQ(e.decision, "final: the handler marked the error non-retryable; the fallback runs");
}

// --- DecideReported: errors ---

TEST(DecideReportedTest, ErrorWithRetriesLeftAwaitsTheRetryDelay) {
  AttemptEnding e = DecideReported(Error("connection reset", "IOError"),
                                   Policy(3, absl::Seconds(2), true), 1, 0.5);
  EXPECT_EQ(e.attempt_state, AttemptState::kFailed);
  EXPECT_EQ(e.task_state, TaskRunState::kAwaitingRetry);
  EXPECT_EQ(e.error, "connection reset");
  EXPECT_EQ(e.error_type, "IOError");
  EXPECT_TRUE(e.retry.retry);
  EXPECT_EQ(e.retry.delay, absl::Seconds(2));
  EXPECT_EQ(e.retry.jitter_sample, 0.5);
  EXPECT_EQ(e.decision, "retry 1 of 2 in 2s");
  EXPECT_TRUE(e.breaker_failure);
  EXPECT_FALSE(e.breaker_success);
  EXPECT_FALSE(e.activate_fallback);  // not while retries are left
}

TEST(DecideReportedTest, ErrorWithRetriesLeftAndNoDelayIsReadyAtOnce) {
  AttemptEnding e = DecideReported(Error("boom"), Policy(3), 2, 0.5);
  EXPECT_EQ(e.task_state, TaskRunState::kReady);
  EXPECT_TRUE(e.retry.retry);
  EXPECT_EQ(e.retry.delay, absl::ZeroDuration());
  EXPECT_EQ(e.decision, "retry 2 of 2 in 0");
}

TEST(DecideReportedTest, JitterThatTruncatesToZeroIsReadyAtOnce) {
  TaskPolicy p = Policy(3, absl::Seconds(1));
  p.retry.jitter = 1.0;
  AttemptEnding e = DecideReported(Error("boom"), p, 1, 0.0);
  EXPECT_TRUE(e.retry.retry);
  EXPECT_EQ(e.retry.delay, absl::ZeroDuration());
  EXPECT_EQ(e.task_state, TaskRunState::kReady);
}

TEST(DecideReportedTest, ErrorWithoutAMessageGetsOne) {
  AttemptEnding e = DecideReported(Error(""), Policy(), 1, 0.5);
  EXPECT_EQ(e.error, "handler failed without a message");
}

TEST(DecideReportedTest, LongErrorIsBounded) {
  AttemptEnding e =
      DecideReported(Error(std::string(3 * kMaxErrorMessageBytes, 'x')), Policy(), 1, 0.5);
  EXPECT_LE(e.error.size(), kMaxErrorMessageBytes + 32);
  EXPECT_THAT(e.error, EndsWith("... (truncated)"));
}

TEST(DecideReportedTest, FinalFailureFailsTheTask) {
  AttemptEnding e = DecideReported(Error("boom", "IOError"), Policy(3, absl::Seconds(2)), 3, 0.5);
  EXPECT_EQ(e.attempt_state, AttemptState::kFailed);
  EXPECT_EQ(e.task_state, TaskRunState::kFailed);
  EXPECT_FALSE(e.retry.retry);
  EXPECT_FALSE(e.activate_fallback);
  EXPECT_TRUE(e.breaker_failure);
  EXPECT_EQ(e.decision, "final: no attempts left (3 of 3)");
}

TEST(DecideReportedTest, FinalFailureActivatesTheFallback) {
  AttemptEnding e = DecideReported(Error("boom"), Policy(3, absl::Seconds(2), true), 3, 0.5);
  EXPECT_EQ(e.task_state, TaskRunState::kFailed);
  EXPECT_TRUE(e.activate_fallback);
  EXPECT_EQ(e.decision, "final: no attempts left (3 of 3); the fallback runs");
}

TEST(DecideReportedTest, NonRetryableErrorIsFinalOnTheFirstAttempt) {
  AttemptEnding e = DecideReported(Error("bad input", "ValueError", true),
                                   Policy(5, absl::Seconds(1), true), 1, 0.5);
  EXPECT_EQ(e.task_state, TaskRunState::kFailed);
  EXPECT_TRUE(e.activate_fallback);
  EXPECT_EQ(e.decision, "final: the handler marked the error non-retryable; the fallback runs");
}

TEST(DecideReportedTest, ListedErrorTypeIsFinal) {
  TaskPolicy p = Policy(5, absl::Seconds(1));
  p.retry.non_retryable_errors = {"ValueError"};
  AttemptEnding e = DecideReported(Error("bad input", "ValueError"), p, 1, 0.5);
  EXPECT_EQ(e.task_state, TaskRunState::kFailed);
  EXPECT_EQ(e.decision, "final: error type ValueError is listed as non-retryable");
}

// --- DecideReported: execution timeouts the worker enforced ---

TEST(DecideReportedTest, ExecutionTimeoutWithRetriesLeftIsRetried) {
  AttemptEnding e = DecideReported(Error("ran past 30s", kExecutionTimeoutErrorType),
                                   Policy(2, absl::Seconds(4)), 1, 0.5);
  EXPECT_EQ(e.attempt_state, AttemptState::kTimedOut);
  EXPECT_EQ(e.task_state, TaskRunState::kAwaitingRetry);
  EXPECT_EQ(e.error_type, "ExecutionTimeout");
  EXPECT_TRUE(e.breaker_failure);
  EXPECT_EQ(e.decision, "retry 1 of 1 in 4s");
}

TEST(DecideReportedTest, FinalExecutionTimeoutTimesOutTheTask) {
  AttemptEnding e = DecideReported(Error("ran past 30s", kExecutionTimeoutErrorType),
                                   Policy(2, absl::Seconds(4), true), 2, 0.5);
  EXPECT_EQ(e.attempt_state, AttemptState::kTimedOut);
  EXPECT_EQ(e.task_state, TaskRunState::kTimedOut);
  EXPECT_TRUE(e.activate_fallback);
  EXPECT_EQ(e.decision, "final: no attempts left (2 of 2); the fallback runs");
}

TEST(DecideReportedTest, ExecutionTimeoutWithoutRetryTimeoutsIsFinal) {
  TaskPolicy p = Policy(5, absl::Seconds(1));
  p.retry.retry_timeouts = false;
  AttemptEnding e = DecideReported(Error("ran past 30s", kExecutionTimeoutErrorType), p, 1, 0.5);
  EXPECT_EQ(e.attempt_state, AttemptState::kTimedOut);
  EXPECT_EQ(e.task_state, TaskRunState::kTimedOut);
  EXPECT_EQ(e.decision, "final: the retry policy does not retry timeouts");
}

// --- DecideReported: cancellation ---

void ExpectCancelled(const AttemptEnding& e) {
  EXPECT_EQ(e.attempt_state, AttemptState::kCancelled);
  EXPECT_EQ(e.task_state, TaskRunState::kCancelled);
  EXPECT_FALSE(e.retry.retry);
  EXPECT_EQ(e.retry.reason, "cancelled");
  EXPECT_FALSE(e.activate_fallback);
  EXPECT_FALSE(e.breaker_failure);
  EXPECT_FALSE(e.breaker_success);
  EXPECT_EQ(e.decision, "final: cancelled");
}

TEST(DecideReportedTest, CancelledWhileTheRunIsCancellingIsCancelled) {
  const TaskPolicy p = Cancelling(Policy(5, absl::Seconds(1), true));
  AttemptEnding e = DecideReported(Error("stopped", kCancelledErrorType), p, 1, 0.5);
  ExpectCancelled(e);
  EXPECT_EQ(e.error_type, "Cancelled");
  EXPECT_EQ(e.error, "stopped");
}

TEST(DecideReportedTest, AnyFailureWhileTheRunIsCancellingIsCancelled) {
  const TaskPolicy p = Cancelling(Policy(5, absl::Seconds(1), true));
  ExpectCancelled(DecideReported(Error("boom", "IOError"), p, 1, 0.5));
  ExpectCancelled(DecideReported(Error("late", kExecutionTimeoutErrorType), p, 1, 0.5));
  ExpectCancelled(DecideReported(Error("bad", "", true), p, 5, 0.5));
  ExpectCancelled(DecideReported(Success("{oops"), p, 1, 0.5));
}

TEST(DecideReportedTest, CancelledTypeWithoutACancellationIsAnOrdinaryError) {
  AttemptEnding e = DecideReported(Error("stopped", kCancelledErrorType), Policy(3), 1, 0.5);
  EXPECT_EQ(e.attempt_state, AttemptState::kFailed);
  EXPECT_EQ(e.task_state, TaskRunState::kReady);
  EXPECT_TRUE(e.breaker_failure);
}

TEST(DecideReportedTest, LeaseLostReportIsDecidedLikeAnExpiredLease) {
  // No policy: a lost lease still gets the lost-lease floor of attempts,
  // where an ordinary error without a policy would fail the task.
  ReportedOutcome lost = Error("lease presumed lost: no heartbeat accepted for 31s",
                               kLeaseLostErrorType, /*non_retryable=*/true);
  AttemptEnding e = DecideReported(lost, Policy(), 1, 0.5);
  EXPECT_EQ(e.attempt_state, AttemptState::kLeaseExpired);
  EXPECT_EQ(e.task_state, TaskRunState::kReady);
  EXPECT_TRUE(e.retry.retry);
  EXPECT_EQ(e.error_type, "LeaseLost");
  EXPECT_THAT(e.error, StartsWith("lease presumed lost"));
  AttemptEnding last = DecideReported(lost, Policy(), kMinAttemptsForLostLeases, 0.5);
  EXPECT_EQ(last.task_state, TaskRunState::kTimedOut);
  EXPECT_EQ(DecideReported(Error("boom"), Policy(), 1, 0.5).task_state, TaskRunState::kFailed);
}

// --- DecideExpired: lost leases ---

TEST(DecideExpiredTest, LostLeaseIsRetriedWithoutAPolicyUpToThreeAttempts) {
  for (int attempt : {1, 2}) {
    AttemptEnding e = DecideExpired(Expiry::kLeaseLost, Policy(), attempt, 0.5);
    EXPECT_EQ(e.attempt_state, AttemptState::kLeaseExpired) << attempt;
    EXPECT_EQ(e.task_state, TaskRunState::kReady) << attempt;
    EXPECT_TRUE(e.retry.retry);
    EXPECT_EQ(e.retry.delay, absl::ZeroDuration());
    EXPECT_EQ(e.error_type, "LeaseExpired");
    EXPECT_THAT(e.error, StartsWith("lease expired"));
    EXPECT_TRUE(e.breaker_failure);
    EXPECT_FALSE(e.activate_fallback);
  }
  EXPECT_EQ(DecideExpired(Expiry::kLeaseLost, Policy(), 1, 0.5).decision, "retry 1 of 2 in 0");
}

TEST(DecideExpiredTest, ThirdLostLeaseTimesOutTheTask) {
  AttemptEnding e = DecideExpired(Expiry::kLeaseLost, Policy(1, absl::ZeroDuration(), true),
                                  kMinAttemptsForLostLeases, 0.5);
  EXPECT_EQ(e.attempt_state, AttemptState::kLeaseExpired);
  EXPECT_EQ(e.task_state, TaskRunState::kTimedOut);
  EXPECT_FALSE(e.retry.retry);
  EXPECT_TRUE(e.activate_fallback);
  EXPECT_TRUE(e.breaker_failure);
  EXPECT_EQ(e.decision, "final: no attempts left (3 of 3); the fallback runs");
}

TEST(DecideExpiredTest, LostLeaseUnderAPolicyWaitsForItsDelay) {
  AttemptEnding e = DecideExpired(Expiry::kLeaseLost, Policy(3, absl::Seconds(5)), 1, 0.5);
  EXPECT_EQ(e.task_state, TaskRunState::kAwaitingRetry);
  EXPECT_EQ(e.retry.delay, absl::Seconds(5));
}

TEST(DecideExpiredTest, LostLeaseWithoutRetryTimeoutsIsFinal) {
  TaskPolicy p = Policy(5, absl::Seconds(1));
  p.retry.retry_timeouts = false;
  AttemptEnding e = DecideExpired(Expiry::kLeaseLost, p, 1, 0.5);
  EXPECT_EQ(e.attempt_state, AttemptState::kLeaseExpired);
  EXPECT_EQ(e.task_state, TaskRunState::kTimedOut);
  EXPECT_EQ(e.decision, "final: the retry policy does not retry timeouts");
}

TEST(DecideExpiredTest, LostLeaseWhileCancellingIsCancelled) {
  ExpectCancelled(
      DecideExpired(Expiry::kLeaseLost, Cancelling(Policy(1, absl::ZeroDuration(), true)), 1, 0.5));
}

// --- DecideExpired: execution timeouts ---

TEST(DecideExpiredTest, ExecutionTimeoutWithoutAPolicyTimesOutTheTask) {
  AttemptEnding e = DecideExpired(Expiry::kExecutionTimeout, Policy(), 1, 0.5);
  EXPECT_EQ(e.attempt_state, AttemptState::kTimedOut);
  EXPECT_EQ(e.task_state, TaskRunState::kTimedOut);
  EXPECT_EQ(e.error_type, "ExecutionTimeout");
  EXPECT_THAT(e.error, StartsWith("execution timeout"));
  EXPECT_TRUE(e.breaker_failure);
  EXPECT_EQ(e.decision, "final: no attempts left (1 of 1)");
}

TEST(DecideExpiredTest, ExecutionTimeoutWithRetriesLeftIsRetried) {
  AttemptEnding delayed =
      DecideExpired(Expiry::kExecutionTimeout, Policy(2, absl::Seconds(3)), 1, 0.5);
  EXPECT_EQ(delayed.attempt_state, AttemptState::kTimedOut);
  EXPECT_EQ(delayed.task_state, TaskRunState::kAwaitingRetry);
  EXPECT_EQ(delayed.decision, "retry 1 of 1 in 3s");
  AttemptEnding at_once = DecideExpired(Expiry::kExecutionTimeout, Policy(2), 1, 0.5);
  EXPECT_EQ(at_once.task_state, TaskRunState::kReady);
}

TEST(DecideExpiredTest, ExecutionTimeoutWithoutRetryTimeoutsIsFinal) {
  TaskPolicy p = Policy(5, absl::Seconds(1), true);
  p.retry.retry_timeouts = false;
  AttemptEnding e = DecideExpired(Expiry::kExecutionTimeout, p, 1, 0.5);
  EXPECT_EQ(e.task_state, TaskRunState::kTimedOut);
  EXPECT_TRUE(e.activate_fallback);
  EXPECT_EQ(e.decision, "final: the retry policy does not retry timeouts; the fallback runs");
}

TEST(DecideExpiredTest, ExecutionTimeoutWhileCancellingIsCancelled) {
  ExpectCancelled(DecideExpired(Expiry::kExecutionTimeout, Cancelling(Policy(5)), 1, 0.5));
}

// --- DueExpiry ---

const absl::Time kNow = absl::FromUnixSeconds(1'000'000);
constexpr absl::Duration kGrace = absl::Seconds(5);

AttemptDeadlines Deadlines(absl::Time lease, absl::Time execution = absl::InfiniteFuture()) {
  AttemptDeadlines d;
  d.lease_expires_at = lease;
  d.execution_deadline = execution;
  return d;
}

TEST(DueExpiryTest, NothingDueBeforeEitherDeadline) {
  const AttemptDeadlines d = Deadlines(kNow + absl::Seconds(20), kNow + absl::Seconds(60));
  EXPECT_EQ(DueExpiry(d, kGrace, kNow), std::nullopt);
  EXPECT_EQ(DueExpiry(d, kGrace, kNow + absl::Seconds(20) - absl::Microseconds(1)), std::nullopt);
}

TEST(DueExpiryTest, LeaseIsDueExactlyAtItsExpiry) {
  const AttemptDeadlines d = Deadlines(kNow + absl::Seconds(20), kNow + absl::Seconds(60));
  EXPECT_EQ(DueExpiry(d, kGrace, kNow + absl::Seconds(20)), Expiry::kLeaseLost);
  EXPECT_EQ(DueExpiry(d, kGrace, kNow + absl::Seconds(64)), Expiry::kLeaseLost);
}

TEST(DueExpiryTest, ExecutionIsDueExactlyAtDeadlinePlusGrace) {
  const AttemptDeadlines d = Deadlines(kNow + absl::Seconds(100), kNow + absl::Seconds(60));
  EXPECT_EQ(DueExpiry(d, kGrace, kNow + absl::Seconds(60)), std::nullopt);  // grace running
  EXPECT_EQ(DueExpiry(d, kGrace, kNow + absl::Seconds(65) - absl::Microseconds(1)), std::nullopt);
  EXPECT_EQ(DueExpiry(d, kGrace, kNow + absl::Seconds(65)), Expiry::kExecutionTimeout);
  EXPECT_EQ(DueExpiry(d, absl::ZeroDuration(), kNow + absl::Seconds(60)),
            Expiry::kExecutionTimeout);
}

TEST(DueExpiryTest, ExecutionIsCheckedBeforeTheLease) {
  const AttemptDeadlines d = Deadlines(kNow + absl::Seconds(20), kNow + absl::Seconds(60));
  EXPECT_EQ(DueExpiry(d, kGrace, kNow + absl::Seconds(65)), Expiry::kExecutionTimeout);
  // Both at the same instant: still the execution timeout.
  const AttemptDeadlines same = Deadlines(kNow + absl::Seconds(65), kNow + absl::Seconds(60));
  EXPECT_EQ(DueExpiry(same, kGrace, kNow + absl::Seconds(65)), Expiry::kExecutionTimeout);
}

TEST(DueExpiryTest, WithoutAnExecutionDeadlineOnlyTheLeaseCounts) {
  const AttemptDeadlines d = Deadlines(kNow + absl::Hours(24 * 365));
  EXPECT_EQ(DueExpiry(d, kGrace, kNow + absl::Hours(24 * 300)), std::nullopt);
  EXPECT_EQ(DueExpiry(d, kGrace, kNow + absl::Hours(24 * 365)), Expiry::kLeaseLost);
  EXPECT_EQ(DueExpiry(d, absl::InfiniteDuration(), kNow + absl::Hours(24 * 365)),
            Expiry::kLeaseLost);
}

TEST(DueExpiryTest, NoDeadlinesAtAllIsNeverDue) {
  const AttemptDeadlines d;
  EXPECT_EQ(DueExpiry(d, kGrace, kNow), std::nullopt);
  EXPECT_EQ(DueExpiry(d, kGrace, absl::FromUnixSeconds(int64_t{1} << 40)), std::nullopt);
}

// --- The delivery rule ---

TEST(DueExpiryTest, AnUnacknowledgedLeaseThatRunsOutWasUndelivered) {
  AttemptDeadlines d = Deadlines(kNow + absl::Seconds(10));
  d.acknowledged = false;
  EXPECT_EQ(DueExpiry(d, kGrace, kNow + absl::Seconds(10) - absl::Microseconds(1)), std::nullopt);
  EXPECT_EQ(DueExpiry(d, kGrace, kNow + absl::Seconds(10)), Expiry::kUndelivered);
  d.acknowledged = true;
  EXPECT_EQ(DueExpiry(d, kGrace, kNow + absl::Seconds(10)), Expiry::kLeaseLost);
}

TEST(DecideUndeliveredTest, TheTaskIsReadyAtOnceAndNothingIsCounted) {
  const AttemptEnding e = DecideUndelivered(Policy(1, absl::Seconds(30), true), "poll gone");
  EXPECT_EQ(e.attempt_state, AttemptState::kUndelivered);
  EXPECT_EQ(e.task_state, TaskRunState::kReady);
  EXPECT_TRUE(e.undelivered);
  EXPECT_FALSE(e.retry.retry);  // no retry decision: no delay, no attempt spent
  EXPECT_FALSE(e.breaker_failure);
  EXPECT_FALSE(e.breaker_success);
  EXPECT_FALSE(e.activate_fallback);
  EXPECT_EQ(e.error, "poll gone");
  EXPECT_EQ(e.error_type, "Undelivered");
}

TEST(DecideUndeliveredTest, ARunBeingCancelledEndsTheTaskCancelled) {
  const AttemptEnding e = DecideUndelivered(Cancelling(Policy(3)), "poll gone");
  EXPECT_EQ(e.attempt_state, AttemptState::kUndelivered);
  EXPECT_EQ(e.task_state, TaskRunState::kCancelled);
  EXPECT_FALSE(e.activate_fallback);
}

TEST(DecideExpiredTest, AnUndeliveredExpiryIsDecidedByTheDeliveryRule) {
  // Even with no retries left, an undelivered lease does not fail the task.
  const AttemptEnding e = DecideExpired(Expiry::kUndelivered, Policy(1), 5, 0.5);
  EXPECT_EQ(e.attempt_state, AttemptState::kUndelivered);
  EXPECT_EQ(e.task_state, TaskRunState::kReady);
  EXPECT_THAT(e.error, HasSubstr("not acknowledged within the delivery timeout"));
}

}  // namespace
}  // namespace baton::engine
