// Pure tests of the retry decisions: delays (fixed, list, exponential), jitter
// and its bounds, and whether a failed attempt is tried again. Randomness comes
// in as explicit unit samples; no clock, no sleeps.
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/spec/flow.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orchestrator/engine/retry_rules.h"

namespace baton::engine {
namespace {

using DelayKind = RetryPolicy::DelayKind;

// The largest unit sample below 1.
const double kAlmostOne = std::nextafter(1.0, 0.0);

RetryPolicy Fixed(absl::Duration delay, int max_attempts = 4, double jitter = 0.0) {
  RetryPolicy p;
  p.max_attempts = max_attempts;
  p.delay_kind = DelayKind::kFixed;
  p.delay = delay;
  p.jitter = jitter;
  return p;
}

RetryPolicy List(std::vector<absl::Duration> delays, int max_attempts = 10, double jitter = 0.0) {
  RetryPolicy p;
  p.max_attempts = max_attempts;
  p.delay_kind = DelayKind::kList;
  p.delays = std::move(delays);
  p.jitter = jitter;
  return p;
}

RetryPolicy Exponential(absl::Duration initial, double factor, absl::Duration max_delay,
                        int max_attempts = 100, double jitter = 0.0) {
  RetryPolicy p;
  p.max_attempts = max_attempts;
  p.delay_kind = DelayKind::kExponential;
  p.initial = initial;
  p.factor = factor;
  p.max_delay = max_delay;
  p.jitter = jitter;
  return p;
}

// Unit samples covering [0, 1): an even grid, its edges and seeded random draws.
std::vector<double> UnitSamples() {
  std::vector<double> samples = {0.0, kAlmostOne, 0.5, std::nextafter(0.5, 0.0),
                                 std::nextafter(0.5, 1.0)};
  for (int i = 0; i < 1000; ++i) samples.push_back(i / 1000.0);
  std::mt19937_64 gen(20260101);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int i = 0; i < 2000; ++i) samples.push_back(unit(gen));
  return samples;
}

FailureFacts Facts(int attempt, FailureKind kind = FailureKind::kError, std::string error_type = "",
                   bool non_retryable = false) {
  FailureFacts f;
  f.attempt = attempt;
  f.kind = kind;
  f.error_type = std::move(error_type);
  f.non_retryable = non_retryable;
  return f;
}

// --- RetryDelay: base delays ---

TEST(RetryDelayTest, FixedIsTheSameForEveryRetry) {
  const RetryPolicy p = Fixed(absl::Seconds(2));
  for (int retry : {1, 2, 3, 10, 99}) {
    EXPECT_EQ(RetryDelay(p, retry, 0.5), absl::Seconds(2)) << "retry " << retry;
  }
}

TEST(RetryDelayTest, FixedZeroIsZero) {
  EXPECT_EQ(RetryDelay(Fixed(absl::ZeroDuration()), 1, 0.5), absl::ZeroDuration());
  EXPECT_EQ(RetryDelay(Fixed(absl::ZeroDuration(), 4, 1.0), 1, kAlmostOne), absl::ZeroDuration());
}

TEST(RetryDelayTest, ListTakesTheEntryOfTheRetryAndTheLastRepeats) {
  const RetryPolicy p = List({absl::Seconds(1), absl::Seconds(5), absl::Seconds(30)});
  EXPECT_EQ(RetryDelay(p, 1, 0.5), absl::Seconds(1));
  EXPECT_EQ(RetryDelay(p, 2, 0.5), absl::Seconds(5));
  EXPECT_EQ(RetryDelay(p, 3, 0.5), absl::Seconds(30));
  EXPECT_EQ(RetryDelay(p, 4, 0.5), absl::Seconds(30));
  EXPECT_EQ(RetryDelay(p, 99, 0.5), absl::Seconds(30));
  EXPECT_EQ(RetryDelay(p, std::numeric_limits<int>::max(), 0.5), absl::Seconds(30));
}

TEST(RetryDelayTest, SingleEntryListRepeatsForEveryRetry) {
  const RetryPolicy p = List({absl::Milliseconds(750)});
  for (int retry : {1, 2, 50}) EXPECT_EQ(RetryDelay(p, retry, 0.5), absl::Milliseconds(750));
}

TEST(RetryDelayTest, ExponentialIsInitialTimesFactorToTheRetryMinusOne) {
  const RetryPolicy p = Exponential(absl::Seconds(1), 2.0, absl::Minutes(5));
  EXPECT_EQ(RetryDelay(p, 1, 0.5), absl::Seconds(1));
  EXPECT_EQ(RetryDelay(p, 2, 0.5), absl::Seconds(2));
  EXPECT_EQ(RetryDelay(p, 3, 0.5), absl::Seconds(4));
  EXPECT_EQ(RetryDelay(p, 4, 0.5), absl::Seconds(8));
  EXPECT_EQ(RetryDelay(p, 8, 0.5), absl::Seconds(128));
}

TEST(RetryDelayTest, ExponentialWithFractionalFactor) {
  const RetryPolicy p = Exponential(absl::Milliseconds(100), 1.5, absl::Minutes(5));
  EXPECT_EQ(RetryDelay(p, 1, 0.5), absl::Milliseconds(100));
  EXPECT_EQ(RetryDelay(p, 2, 0.5), absl::Milliseconds(150));
  EXPECT_EQ(RetryDelay(p, 3, 0.5), absl::Milliseconds(225));
}

TEST(RetryDelayTest, ExponentialFactorOneIsConstant) {
  const RetryPolicy p = Exponential(absl::Seconds(3), 1.0, absl::Minutes(5));
  for (int retry : {1, 2, 40}) EXPECT_EQ(RetryDelay(p, retry, 0.5), absl::Seconds(3));
}

TEST(RetryDelayTest, ExponentialIsCappedAtMaxDelay) {
  const RetryPolicy p = Exponential(absl::Seconds(1), 2.0, absl::Minutes(1));
  EXPECT_EQ(RetryDelay(p, 6, 0.5), absl::Seconds(32));
  EXPECT_EQ(RetryDelay(p, 7, 0.5), absl::Minutes(1));  // 64 s capped
  EXPECT_EQ(RetryDelay(p, 8, 0.5), absl::Minutes(1));
}

TEST(RetryDelayTest, ExponentialSaturatesAtHugeRetryNumbersWithoutOverflow) {
  const RetryPolicy p = Exponential(absl::Seconds(1), 10.0, absl::Hours(24));
  for (int retry : {50, 400, 5000, 1'000'000, std::numeric_limits<int>::max()}) {
    absl::Duration base;
    const absl::Duration d = RetryDelay(p, retry, 0.5, &base);
    EXPECT_EQ(d, absl::Hours(24)) << "retry " << retry;
    EXPECT_EQ(base, absl::Hours(24)) << "retry " << retry;
    EXPECT_NE(d, absl::InfiniteDuration());
  }
}

TEST(RetryDelayTest, BaseOutParamReceivesTheDelayBeforeJitter) {
  const RetryPolicy p = Exponential(absl::Seconds(1), 2.0, absl::Minutes(5), 10, 0.5);
  absl::Duration base = absl::InfiniteDuration();
  const absl::Duration d = RetryDelay(p, 3, 0.0, &base);
  EXPECT_EQ(base, absl::Seconds(4));
  EXPECT_EQ(d, absl::Seconds(2));
  RetryDelay(p, 4, kAlmostOne, &base);
  EXPECT_EQ(base, absl::Seconds(8));
}

TEST(RetryDelayTest, BaseOutParamIsOptional) {
  EXPECT_EQ(RetryDelay(Fixed(absl::Seconds(1)), 1, 0.5, nullptr), absl::Seconds(1));
}

TEST(RetryDelayTest, TruncatedToWholeMilliseconds) {
  EXPECT_EQ(RetryDelay(Fixed(absl::Microseconds(1'234'567)), 1, 0.5), absl::Milliseconds(1234));
  EXPECT_EQ(RetryDelay(Fixed(absl::Microseconds(999)), 1, 0.5), absl::ZeroDuration());
  // 1 ms * 1.5^3 = 3.375 ms.
  EXPECT_EQ(RetryDelay(Exponential(absl::Milliseconds(1), 1.5, absl::Minutes(1)), 4, 0.5),
            absl::Milliseconds(3));
  const RetryPolicy jittered = Fixed(absl::Seconds(1), 4, 0.3);
  for (double u : UnitSamples()) {
    const absl::Duration d = RetryDelay(jittered, 1, u);
    EXPECT_EQ(d, absl::Trunc(d, absl::Milliseconds(1))) << "u=" << u;
  }
}

// --- RetryDelay: jitter ---

TEST(RetryDelayJitterTest, HalfIsExactlyTheBaseDelay) {
  EXPECT_EQ(RetryDelay(Fixed(absl::Seconds(10), 4, 0.2), 1, 0.5), absl::Seconds(10));
  EXPECT_EQ(RetryDelay(List({absl::Seconds(3)}, 4, 1.0), 1, 0.5), absl::Seconds(3));
  EXPECT_EQ(RetryDelay(Exponential(absl::Seconds(1), 2, absl::Minutes(1), 10, 0.7), 3, 0.5),
            absl::Seconds(4));
}

TEST(RetryDelayJitterTest, ZeroAndAlmostOneGiveTheExtremes) {
  const RetryPolicy p = Fixed(absl::Seconds(10), 4, 0.2);
  EXPECT_EQ(RetryDelay(p, 1, 0.0), absl::Seconds(8));
  const absl::Duration high = RetryDelay(p, 1, kAlmostOne);
  EXPECT_LE(high, absl::Seconds(12));
  EXPECT_GE(high, absl::Seconds(12) - absl::Milliseconds(1));
  EXPECT_EQ(RetryDelay(p, 1, 0.25), absl::Seconds(9));
  EXPECT_EQ(RetryDelay(p, 1, 0.75), absl::Seconds(11));
}

TEST(RetryDelayJitterTest, NoJitterIgnoresTheSample) {
  const RetryPolicy p = Fixed(absl::Seconds(10));
  for (double u : {0.0, 0.1, 0.5, 0.9, kAlmostOne})
    EXPECT_EQ(RetryDelay(p, 1, u), absl::Seconds(10));
}

// For every sample, a delay within [d(1-j), d(1+j)] (less the ms truncation),
// never negative, never above the caps.
void ExpectWithinJitterBounds(const RetryPolicy& p, int retry, absl::Duration cap) {
  absl::Duration base;
  RetryDelay(p, retry, 0.5, &base);
  const absl::Duration low = std::max(base * (1.0 - p.jitter), absl::ZeroDuration());
  const absl::Duration high = std::min(base * (1.0 + p.jitter), cap);
  absl::Duration seen_min = absl::InfiniteDuration(), seen_max = -absl::InfiniteDuration();
  for (double u : UnitSamples()) {
    const absl::Duration d = RetryDelay(p, retry, u);
    EXPECT_GE(d, absl::Trunc(low, absl::Milliseconds(1)) - absl::Milliseconds(1)) << "u=" << u;
    EXPECT_LE(d, high) << "u=" << u;
    EXPECT_GE(d, absl::ZeroDuration()) << "u=" << u;
    EXPECT_LE(d, kMaxRetryDelay) << "u=" << u;
    seen_min = std::min(seen_min, d);
    seen_max = std::max(seen_max, d);
  }
  // The samples spread over the whole range, not one point of it.
  EXPECT_LE(seen_min, low + absl::Milliseconds(1));
  EXPECT_GE(seen_max, std::min(high, cap) - absl::Milliseconds(2));
}

TEST(RetryDelayJitterTest, ManySamplesStayWithinBoundsForFixed) {
  ExpectWithinJitterBounds(Fixed(absl::Seconds(10), 4, 0.2), 1, kMaxRetryDelay);
  ExpectWithinJitterBounds(Fixed(absl::Milliseconds(1500), 4, 1.0), 2, kMaxRetryDelay);
  ExpectWithinJitterBounds(Fixed(absl::Milliseconds(7), 4, 0.5), 1, kMaxRetryDelay);
}

TEST(RetryDelayJitterTest, ManySamplesStayWithinBoundsForList) {
  const RetryPolicy p = List({absl::Seconds(1), absl::Seconds(5), absl::Seconds(30)}, 10, 0.3);
  for (int retry : {1, 2, 3, 7}) ExpectWithinJitterBounds(p, retry, kMaxRetryDelay);
}

TEST(RetryDelayJitterTest, ManySamplesStayWithinBoundsForExponential) {
  const RetryPolicy p = Exponential(absl::Milliseconds(250), 3.0, absl::Minutes(2), 100, 0.4);
  for (int retry : {1, 2, 3, 4, 5, 6, 7, 30}) ExpectWithinJitterBounds(p, retry, p.max_delay);
}

TEST(RetryDelayJitterTest, ExponentialNeverExceedsMaxDelay) {
  const RetryPolicy p = Exponential(absl::Seconds(1), 2.0, absl::Minutes(1), 100, 0.5);
  for (double u : UnitSamples()) {
    const absl::Duration d = RetryDelay(p, 20, u);  // base is the cap
    EXPECT_LE(d, absl::Minutes(1)) << "u=" << u;
    EXPECT_GE(d, absl::Seconds(30)) << "u=" << u;
  }
  EXPECT_EQ(RetryDelay(p, 20, kAlmostOne), absl::Minutes(1));
  EXPECT_EQ(RetryDelay(p, 20, 0.0), absl::Seconds(30));
}

TEST(RetryDelayJitterTest, FixedAndListNeverExceedTheMaximumRetryDelay) {
  for (const RetryPolicy& p :
       {Fixed(kMaxRetryDelay, 4, 0.5), List({absl::Hours(1), kMaxRetryDelay}, 4, 1.0)}) {
    EXPECT_EQ(RetryDelay(p, 2, kAlmostOne), kMaxRetryDelay);
    EXPECT_EQ(RetryDelay(p, 2, 0.9), kMaxRetryDelay);
    EXPECT_LT(RetryDelay(p, 2, 0.0), kMaxRetryDelay);
  }
}

TEST(RetryDelayJitterTest, FullJitterReachesZeroButNeverGoesNegative) {
  const RetryPolicy p = Fixed(absl::Seconds(4), 4, 1.0);
  EXPECT_EQ(RetryDelay(p, 1, 0.0), absl::ZeroDuration());
  EXPECT_EQ(RetryDelay(p, 1, 0.25), absl::Seconds(2));
  for (double u : UnitSamples()) EXPECT_GE(RetryDelay(p, 1, u), absl::ZeroDuration()) << u;
}

// --- DecideRetry ---

TEST(DecideRetryTest, RetriesWhileAttemptsAreLeft) {
  const RetryPolicy p = Fixed(absl::Seconds(2), 3);
  RetryDecision first = DecideRetry(p, Facts(1), 0.5);
  EXPECT_TRUE(first.retry);
  EXPECT_EQ(first.delay, absl::Seconds(2));
  EXPECT_EQ(first.base_delay, absl::Seconds(2));
  EXPECT_EQ(first.reason, "retry 1 of 2 in 2s");
  RetryDecision second = DecideRetry(p, Facts(2), 0.5);
  EXPECT_TRUE(second.retry);
  EXPECT_EQ(second.reason, "retry 2 of 2 in 2s");
}

TEST(DecideRetryTest, TheLastAttemptIsFinal) {
  const RetryPolicy p = Fixed(absl::Seconds(2), 3);
  RetryDecision d = DecideRetry(p, Facts(3), 0.5);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.delay, absl::ZeroDuration());
  EXPECT_EQ(d.reason, "no attempts left (3 of 3)");
  EXPECT_FALSE(DecideRetry(p, Facts(4), 0.5).retry);  // past the budget too
}

TEST(DecideRetryTest, OneAttemptMeansNoRetry) {
  RetryDecision d = DecideRetry(RetryPolicy{}, Facts(1), 0.5);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.reason, "no attempts left (1 of 1)");
}

TEST(DecideRetryTest, DelayUsesTheAttemptAsTheRetryNumber) {
  const RetryPolicy p = Exponential(absl::Seconds(1), 2.0, absl::Minutes(5), 5);
  EXPECT_EQ(DecideRetry(p, Facts(1), 0.5).delay, absl::Seconds(1));
  EXPECT_EQ(DecideRetry(p, Facts(3), 0.5).delay, absl::Seconds(4));
  RetryDecision d = DecideRetry(p, Facts(4), 0.5);
  EXPECT_EQ(d.delay, absl::Seconds(8));
  EXPECT_EQ(d.reason, "retry 4 of 4 in 8s");
  const RetryPolicy list = List({absl::Seconds(1), absl::Seconds(5)}, 4);
  EXPECT_EQ(DecideRetry(list, Facts(3), 0.5).delay, absl::Seconds(5));
}

TEST(DecideRetryTest, RecordsTheJitterSampleAndBothDelays) {
  const RetryPolicy p = Fixed(absl::Seconds(2), 4, 0.25);
  RetryDecision d = DecideRetry(p, Facts(1), 0.75);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.jitter_sample, 0.75);
  EXPECT_EQ(d.base_delay, absl::Seconds(2));
  EXPECT_EQ(d.delay, absl::Milliseconds(2250));
  EXPECT_EQ(d.delay, RetryDelay(p, 1, 0.75));
  EXPECT_EQ(d.reason, "retry 1 of 3 in 2.25s");
  RetryDecision low = DecideRetry(p, Facts(2), 0.0);
  EXPECT_EQ(low.jitter_sample, 0.0);
  EXPECT_EQ(low.delay, absl::Milliseconds(1500));
}

TEST(DecideRetryTest, FinalDecisionsHaveNoDelay) {
  const RetryPolicy p = Fixed(absl::Seconds(2), 4, 0.25);
  RetryDecision d = DecideRetry(p, Facts(1, FailureKind::kError, "", true), 0.75);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.delay, absl::ZeroDuration());
  EXPECT_EQ(d.base_delay, absl::ZeroDuration());
}

TEST(DecideRetryTest, LostLeasesAreRetriedWithoutAPolicy) {
  const RetryPolicy none;  // one attempt
  for (int attempt = 1; attempt < kMinAttemptsForLostLeases; ++attempt) {
    RetryDecision d = DecideRetry(none, Facts(attempt, FailureKind::kLeaseLost), 0.9);
    EXPECT_TRUE(d.retry) << "attempt " << attempt;
    EXPECT_EQ(d.delay, absl::ZeroDuration());
    EXPECT_EQ(d.reason, absl::StrCat("retry ", attempt, " of 2 in 0"));
  }
  RetryDecision last =
      DecideRetry(none, Facts(kMinAttemptsForLostLeases, FailureKind::kLeaseLost), 0.9);
  EXPECT_FALSE(last.retry);
  EXPECT_EQ(last.reason, "no attempts left (3 of 3)");
}

TEST(DecideRetryTest, LostLeaseRetryHasZeroDelayEvenWithAFixedDelayConfigured) {
  // A delay without retries means nothing; the lost-lease retry goes at once.
  RetryPolicy p = Fixed(absl::Seconds(30), 1);
  RetryDecision d = DecideRetry(p, Facts(1, FailureKind::kLeaseLost), 0.5);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.delay, absl::ZeroDuration());
}

TEST(DecideRetryTest, LostLeasesUseTheLargerBudgetAndThePolicyDelay) {
  const RetryPolicy two = Fixed(absl::Seconds(5), 2);
  RetryDecision d = DecideRetry(two, Facts(2, FailureKind::kLeaseLost), 0.5);
  EXPECT_TRUE(d.retry);  // the policy's budget is spent, the lost-lease floor is not
  EXPECT_EQ(d.delay, absl::Seconds(5));
  EXPECT_EQ(d.reason, "retry 2 of 2 in 5s");
  EXPECT_FALSE(DecideRetry(two, Facts(3, FailureKind::kLeaseLost), 0.5).retry);
  // A bigger policy budget wins over the floor.
  const RetryPolicy five = Fixed(absl::Seconds(5), 5);
  EXPECT_TRUE(DecideRetry(five, Facts(4, FailureKind::kLeaseLost), 0.5).retry);
  RetryDecision end = DecideRetry(five, Facts(5, FailureKind::kLeaseLost), 0.5);
  EXPECT_FALSE(end.retry);
  EXPECT_EQ(end.reason, "no attempts left (5 of 5)");
}

TEST(DecideRetryTest, ExecutionTimeoutsGetNoLostLeaseFloor) {
  RetryDecision d = DecideRetry(RetryPolicy{}, Facts(1, FailureKind::kExecutionTimeout), 0.5);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.reason, "no attempts left (1 of 1)");
  EXPECT_TRUE(
      DecideRetry(Fixed(absl::Seconds(1), 2), Facts(1, FailureKind::kExecutionTimeout), 0.5).retry);
}

TEST(DecideRetryTest, CancellationsAreNeverRetried) {
  const RetryPolicy p = Fixed(absl::Seconds(1), 100);
  RetryDecision d = DecideRetry(p, Facts(1, FailureKind::kCancelled), 0.5);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.reason, "cancelled");
  EXPECT_EQ(d.jitter_sample, 0.0);
}

TEST(DecideRetryTest, NonRetryableErrorsAreFinal) {
  const RetryPolicy p = Fixed(absl::Seconds(1), 5);
  RetryDecision d = DecideRetry(p, Facts(1, FailureKind::kError, "IOError", true), 0.5);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.reason, "the handler marked the error non-retryable");
}

TEST(DecideRetryTest, ListedErrorTypesAreFinal) {
  RetryPolicy p = Fixed(absl::Seconds(1), 5);
  p.non_retryable_errors = {"BadInput", "ValueError"};
  RetryDecision d = DecideRetry(p, Facts(1, FailureKind::kError, "ValueError"), 0.5);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.reason, "error type ValueError is listed as non-retryable");
  EXPECT_EQ(DecideRetry(p, Facts(1, FailureKind::kError, "BadInput"), 0.5).reason,
            "error type BadInput is listed as non-retryable");
}

TEST(DecideRetryTest, UnlistedAndEmptyErrorTypesAreRetried) {
  RetryPolicy p = Fixed(absl::Seconds(1), 5);
  p.non_retryable_errors = {"BadInput"};
  EXPECT_TRUE(DecideRetry(p, Facts(1, FailureKind::kError, "IOError"), 0.5).retry);
  EXPECT_TRUE(DecideRetry(p, Facts(1, FailureKind::kError, ""), 0.5).retry);
  EXPECT_TRUE(DecideRetry(p, Facts(1, FailureKind::kError, "badinput"), 0.5).retry);  // exact
}

TEST(DecideRetryTest, WithoutRetryTimeoutsTimeoutsAndLostLeasesAreFinal) {
  RetryPolicy p = Fixed(absl::Seconds(1), 5);
  p.retry_timeouts = false;
  for (FailureKind kind : {FailureKind::kExecutionTimeout, FailureKind::kLeaseLost}) {
    RetryDecision d = DecideRetry(p, Facts(1, kind), 0.5);
    EXPECT_FALSE(d.retry);
    EXPECT_EQ(d.reason, "the retry policy does not retry timeouts");
  }
  EXPECT_TRUE(DecideRetry(p, Facts(1, FailureKind::kError), 0.5).retry);
}

TEST(DecideRetryTest, WithoutRetryTimeoutsEvenTheLostLeaseFloorIsOff) {
  RetryPolicy p;
  p.retry_timeouts = false;
  EXPECT_FALSE(DecideRetry(p, Facts(1, FailureKind::kLeaseLost), 0.5).retry);
}

TEST(DecideRetryTest, CancellationReasonWinsOverOtherFinalReasons) {
  RetryPolicy p = Fixed(absl::Seconds(1), 5);
  p.non_retryable_errors = {"BadInput"};
  p.retry_timeouts = false;
  EXPECT_EQ(DecideRetry(p, Facts(9, FailureKind::kCancelled, "BadInput", true), 0.5).reason,
            "cancelled");
  EXPECT_EQ(DecideRetry(p, Facts(9, FailureKind::kError, "BadInput", true), 0.5).reason,
            "the handler marked the error non-retryable");
}

}  // namespace
}  // namespace baton::engine
