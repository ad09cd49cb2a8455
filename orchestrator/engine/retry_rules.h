// Retry decisions: whether a failed attempt is tried again, and after which
// delay (backoff and jitter). Pure: randomness comes in as a number in [0, 1).
// Thread-safe.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "common/spec/flow.h"

namespace baton::engine {

enum class FailureKind {
  kError,             // the handler failed
  kExecutionTimeout,  // the attempt ran past its execution timeout
  kLeaseLost,         // no heartbeat within the heartbeat timeout (worker gone)
  kCancelled,         // the run was cancelled or timed out
};

struct FailureFacts {
  int attempt = 1;  // the attempt that failed, 1-based
  FailureKind kind = FailureKind::kError;
  std::string error_type;      // as reported by the worker; may be empty
  bool non_retryable = false;  // the handler marked the error final
};

// A lost lease (worker killed, host gone) is retried even without a retry
// policy, up to this many attempts in all, so that a dead worker loses no task
// while a task that kills every worker it lands on still ends.
inline constexpr int kMinAttemptsForLostLeases = 3;

struct RetryDecision {
  bool retry = false;
  absl::Duration delay = absl::ZeroDuration();       // after jitter
  absl::Duration base_delay = absl::ZeroDuration();  // before jitter
  double jitter_sample = 0.0;                        // the unit random used
  std::string reason;                                // "retry 2 of 3 in 2.104s" or why it is final
};

// Decides for the attempt described by `facts` under `policy`. Never retried:
// cancellations, errors marked non-retryable, error types the policy lists,
// timeouts when !policy.retry_timeouts, and attempts past the budget.
RetryDecision DecideRetry(const RetryPolicy& policy, const FailureFacts& facts, double unit_random);

// The delay before retry number `retry` (1 = the first retry): fixed, the
// list entry (the last repeats), or initial * factor^(retry-1) capped at
// max_delay; then spread uniformly over [d(1-jitter), d(1+jitter)] with
// `unit_random`, never below 0 and never above kMaxRetryDelay (exponential:
// never above max_delay). `base` (optional) receives the delay before jitter.
absl::Duration RetryDelay(const RetryPolicy& policy, int retry, double unit_random,
                          absl::Duration* base = nullptr);

}  // namespace baton::engine
