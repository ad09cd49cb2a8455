#include "orchestrator/engine/retry_rules.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace baton::engine {
namespace {

absl::Duration BaseDelay(const RetryPolicy& p, int retry) {
  switch (p.delay_kind) {
    case RetryPolicy::DelayKind::kFixed:
      return p.delay;
    case RetryPolicy::DelayKind::kList:
      if (p.delays.empty()) return absl::ZeroDuration();
      return p.delays[std::min<size_t>(std::max(retry, 1) - 1, p.delays.size() - 1)];
    case RetryPolicy::DelayKind::kExponential: {
      // In seconds as a double, so that large exponents saturate instead of overflowing.
      const double s =
          absl::ToDoubleSeconds(p.initial) * std::pow(p.factor, std::max(retry - 1, 0));
      return absl::Seconds(std::min(s, absl::ToDoubleSeconds(p.max_delay)));
    }
  }
  return absl::ZeroDuration();
}

bool Listed(const RetryPolicy& p, const std::string& type) {
  return !type.empty() && std::find(p.non_retryable_errors.begin(), p.non_retryable_errors.end(),
                                    type) != p.non_retryable_errors.end();
}

// Why the failure is final regardless of the budget; empty when it is not.
std::string FinalBecause(const RetryPolicy& p, const FailureFacts& f) {
  if (f.kind == FailureKind::kCancelled) return "cancelled";
  if (f.non_retryable) return "the handler marked the error non-retryable";
  if (Listed(p, f.error_type)) {
    return absl::StrCat("error type ", f.error_type, " is listed as non-retryable");
  }
  const bool timeout =
      f.kind == FailureKind::kExecutionTimeout || f.kind == FailureKind::kLeaseLost;
  if (timeout && !p.retry_timeouts) return "the retry policy does not retry timeouts";
  return "";
}

}  // namespace

absl::Duration RetryDelay(const RetryPolicy& policy, int retry, double unit_random,
                          absl::Duration* base) {
  const absl::Duration d = BaseDelay(policy, retry);
  if (base != nullptr) *base = d;
  const double spread = absl::ToDoubleSeconds(d) * policy.jitter * (2.0 * unit_random - 1.0);
  absl::Duration jittered = std::max(d + absl::Seconds(spread), absl::ZeroDuration());
  const absl::Duration cap =
      policy.delay_kind == RetryPolicy::DelayKind::kExponential ? policy.max_delay : kMaxRetryDelay;
  jittered = std::min(jittered, std::min(cap, kMaxRetryDelay));
  return absl::Trunc(jittered, absl::Milliseconds(1));
}

RetryDecision DecideRetry(const RetryPolicy& policy, const FailureFacts& facts,
                          double unit_random) {
  RetryDecision d;
  const std::string final_because = FinalBecause(policy, facts);
  if (!final_because.empty()) {
    d.reason = final_because;
    return d;
  }
  int budget = policy.max_attempts;
  if (facts.kind == FailureKind::kLeaseLost) budget = std::max(budget, kMinAttemptsForLostLeases);
  if (facts.attempt >= budget) {
    d.reason = absl::StrCat("no attempts left (", facts.attempt, " of ", budget, ")");
    return d;
  }
  d.retry = true;
  d.jitter_sample = unit_random;
  const bool policy_has_retries = policy.max_attempts > 1;
  d.delay = policy_has_retries ? RetryDelay(policy, facts.attempt, unit_random, &d.base_delay)
                               : absl::ZeroDuration();
  d.reason = absl::StrCat("retry ", facts.attempt, " of ", budget - 1, " in ",
                          absl::FormatDuration(d.delay));
  return d;
}

}  // namespace baton::engine
