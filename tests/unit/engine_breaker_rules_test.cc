// Pure tests of the circuit breaker state machine: every transition, driven by
// a fake clock (absl::Time values built by the test).
#include <cstdint>
#include <optional>

#include "absl/time/time.h"
#include "common/spec/flow.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orchestrator/engine/breaker_rules.h"

namespace baton::engine {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'000'000);

// 3 failures within 1 minute open it for 30 s.
CircuitBreakerSpec Spec(int threshold = 3) {
  CircuitBreakerSpec spec;
  spec.key = "primary-api";
  spec.failure_threshold = threshold;
  spec.window = absl::Minutes(1);
  spec.cooldown = absl::Seconds(30);
  return spec;
}

absl::Time At(int seconds) { return kT0 + absl::Seconds(seconds); }

// Field-by-field equality, for "changes nothing" checks.
void ExpectSame(const Breaker& got, const Breaker& want) {
  EXPECT_EQ(got.state, want.state);
  EXPECT_EQ(got.failures, want.failures);
  EXPECT_EQ(got.window_start, want.window_start);
  EXPECT_EQ(got.open_until, want.open_until);
  EXPECT_EQ(got.probe_task_run_id, want.probe_task_run_id);
}

// Feeds `n` failures of task runs 1..n at kT0, kT0+1s, ...
Breaker FailTimes(Breaker b, int n, const CircuitBreakerSpec& spec = Spec()) {
  for (int i = 0; i < n; ++i) b = OnAttemptFailed(b, spec, i + 1, At(i)).next;
  return b;
}

Breaker OpenUntil(absl::Time until) {
  Breaker b;
  b.state = BreakerState::kOpen;
  b.failures = 3;
  b.window_start = until - absl::Seconds(40);
  b.open_until = until;
  return b;
}

Breaker HalfOpen(int64_t probe) {
  Breaker b;
  b.state = BreakerState::kHalfOpen;
  b.failures = 3;
  b.window_start = kT0;
  b.open_until = At(30);
  b.probe_task_run_id = probe;
  return b;
}

// --- CLOSED ---

TEST(BreakerClosedTest, StartsClosedAndAdmitsEverything) {
  Breaker b;
  EXPECT_EQ(b.state, BreakerState::kClosed);
  EXPECT_EQ(b.failures, 0);
  EXPECT_EQ(Admit(b, kT0), Admission::kAllow);
  EXPECT_EQ(Admit(b, absl::InfiniteFuture()), Admission::kAllow);
}

TEST(BreakerClosedTest, FailuresBelowTheThresholdAreCountedWithoutTransition) {
  BreakerChange first = OnAttemptFailed(Breaker{}, Spec(), 1, At(0));
  EXPECT_FALSE(first.transitioned);
  EXPECT_EQ(first.reason, "");
  EXPECT_EQ(first.next.state, BreakerState::kClosed);
  EXPECT_EQ(first.next.failures, 1);
  EXPECT_EQ(first.next.window_start, At(0));
  BreakerChange second = OnAttemptFailed(first.next, Spec(), 2, At(10));
  EXPECT_FALSE(second.transitioned);
  EXPECT_EQ(second.next.failures, 2);
  EXPECT_EQ(second.next.window_start, At(0));  // the window starts at its first failure
  EXPECT_EQ(Admit(second.next, At(10)), Admission::kAllow);
}

TEST(BreakerClosedTest, ThresholdWithinTheWindowOpensForTheCooldown) {
  Breaker b = FailTimes(Breaker{}, 2);
  BreakerChange c = OnAttemptFailed(b, Spec(), 3, At(20));
  EXPECT_TRUE(c.transitioned);
  EXPECT_EQ(c.reason, "3 failure(s) within 1m");
  EXPECT_EQ(c.next.state, BreakerState::kOpen);
  EXPECT_EQ(c.next.failures, 3);
  EXPECT_EQ(c.next.open_until, At(20) + absl::Seconds(30));
  EXPECT_EQ(c.next.probe_task_run_id, 0);
}

TEST(BreakerClosedTest, ThresholdOfOneOpensOnTheFirstFailure) {
  BreakerChange c = OnAttemptFailed(Breaker{}, Spec(1), 9, At(5));
  EXPECT_TRUE(c.transitioned);
  EXPECT_EQ(c.next.state, BreakerState::kOpen);
  EXPECT_EQ(c.next.open_until, At(35));
  EXPECT_EQ(c.reason, "1 failure(s) within 1m");
}

TEST(BreakerClosedTest, FailureAfterTheWindowRestartsTheCount) {
  Breaker b = FailTimes(Breaker{}, 2);  // at 0 s and 1 s
  BreakerChange c = OnAttemptFailed(b, Spec(), 3, At(61));
  EXPECT_FALSE(c.transitioned);
  EXPECT_EQ(c.next.state, BreakerState::kClosed);
  EXPECT_EQ(c.next.failures, 1);
  EXPECT_EQ(c.next.window_start, At(61));
  // Two more within the new window open it.
  b = OnAttemptFailed(c.next, Spec(), 4, At(90)).next;
  EXPECT_EQ(b.failures, 2);
  BreakerChange open = OnAttemptFailed(b, Spec(), 5, At(120));
  EXPECT_TRUE(open.transitioned);
  EXPECT_EQ(open.next.open_until, At(150));
}

TEST(BreakerClosedTest, FailureExactlyAtTheWindowEndStillCounts) {
  Breaker b = FailTimes(Breaker{}, 2);  // window starts at 0 s
  BreakerChange c = OnAttemptFailed(b, Spec(), 3, At(60));
  EXPECT_TRUE(c.transitioned);
  EXPECT_EQ(c.next.state, BreakerState::kOpen);
  BreakerChange late = OnAttemptFailed(b, Spec(), 3, At(60) + absl::Milliseconds(1));
  EXPECT_FALSE(late.transitioned);
  EXPECT_EQ(late.next.failures, 1);
}

TEST(BreakerClosedTest, SuccessResetsTheCount) {
  Breaker b = FailTimes(Breaker{}, 2);
  BreakerChange c = OnAttemptSucceeded(b, 7, At(10));
  EXPECT_FALSE(c.transitioned);
  EXPECT_EQ(c.reason, "");
  EXPECT_EQ(c.next.state, BreakerState::kClosed);
  EXPECT_EQ(c.next.failures, 0);
  EXPECT_EQ(c.next.window_start, absl::InfinitePast());
  // Two more failures do not open it: the count starts over.
  b = OnAttemptFailed(c.next, Spec(), 8, At(11)).next;
  BreakerChange second = OnAttemptFailed(b, Spec(), 9, At(12));
  EXPECT_FALSE(second.transitioned);
  EXPECT_EQ(second.next.failures, 2);
  EXPECT_EQ(second.next.window_start, At(11));
}

TEST(BreakerClosedTest, TickChangesNothing) {
  Breaker b = FailTimes(Breaker{}, 2);
  BreakerChange c = Tick(b, At(1000));
  EXPECT_FALSE(c.transitioned);
  ExpectSame(c.next, b);
}

// --- OPEN ---

TEST(BreakerOpenTest, BlocksUntilTheCooldownEnds) {
  const Breaker b = OpenUntil(At(50));
  EXPECT_EQ(Admit(b, At(20)), Admission::kBlocked);
  EXPECT_EQ(Admit(b, At(50) - absl::Microseconds(1)), Admission::kBlocked);
  // Past the cooldown (before a Tick recorded it) one task may go as the probe.
  EXPECT_EQ(Admit(b, At(50)), Admission::kProbe);
  EXPECT_EQ(Admit(b, At(500)), Admission::kProbe);
}

TEST(BreakerOpenTest, TickBeforeTheCooldownEndsChangesNothing) {
  const Breaker b = OpenUntil(At(50));
  for (absl::Time now : {At(20), At(50) - absl::Microseconds(1)}) {
    BreakerChange c = Tick(b, now);
    EXPECT_FALSE(c.transitioned);
    EXPECT_EQ(c.reason, "");
    ExpectSame(c.next, b);
  }
}

TEST(BreakerOpenTest, TickAtOrAfterTheCooldownEndGoesHalfOpen) {
  const Breaker b = OpenUntil(At(50));
  for (absl::Time now : {At(50), At(51), At(5000)}) {
    BreakerChange c = Tick(b, now);
    EXPECT_TRUE(c.transitioned);
    EXPECT_EQ(c.reason, "cooldown over");
    EXPECT_EQ(c.next.state, BreakerState::kHalfOpen);
    EXPECT_EQ(c.next.probe_task_run_id, 0);
    EXPECT_EQ(Admit(c.next, now), Admission::kProbe);
  }
}

TEST(BreakerOpenTest, OutcomesWhileOpenChangeNothing) {
  const Breaker b = OpenUntil(At(50));
  BreakerChange failed = OnAttemptFailed(b, Spec(), 11, At(30));
  EXPECT_FALSE(failed.transitioned);
  ExpectSame(failed.next, b);  // the cooldown is not extended
  BreakerChange succeeded = OnAttemptSucceeded(b, 12, At(30));
  EXPECT_FALSE(succeeded.transitioned);
  ExpectSame(succeeded.next, b);  // a straggler's success does not close it
}

TEST(BreakerOpenTest, OpensFromTheThresholdAndThenBlocks) {
  const Breaker open = FailTimes(Breaker{}, 3);  // third failure at 2 s
  EXPECT_EQ(open.state, BreakerState::kOpen);
  EXPECT_EQ(open.open_until, At(32));
  EXPECT_EQ(Admit(open, At(2)), Admission::kBlocked);
  EXPECT_EQ(Admit(open, At(31)), Admission::kBlocked);
  EXPECT_FALSE(Tick(open, At(31)).transitioned);
  EXPECT_TRUE(Tick(open, At(32)).transitioned);
}

// --- HALF_OPEN ---

TEST(BreakerHalfOpenTest, AdmitsExactlyOneProbe) {
  EXPECT_EQ(Admit(HalfOpen(0), At(40)), Admission::kProbe);
  // The orchestrator records the probe it leased; from then on all wait.
  EXPECT_EQ(Admit(HalfOpen(42), At(40)), Admission::kBlocked);
  EXPECT_EQ(Admit(HalfOpen(42), At(4000)), Admission::kBlocked);
}

TEST(BreakerHalfOpenTest, TickChangesNothing) {
  const Breaker b = HalfOpen(42);
  BreakerChange c = Tick(b, At(4000));
  EXPECT_FALSE(c.transitioned);
  ExpectSame(c.next, b);
}

TEST(BreakerHalfOpenTest, ProbeSuccessCloses) {
  BreakerChange c = OnAttemptSucceeded(HalfOpen(42), 42, At(45));
  EXPECT_TRUE(c.transitioned);
  EXPECT_EQ(c.reason, "probe (task run 42) succeeded");
  ExpectSame(c.next, Breaker{});
  EXPECT_EQ(Admit(c.next, At(45)), Admission::kAllow);
}

TEST(BreakerHalfOpenTest, ProbeFailureReopensWithAFreshCooldown) {
  BreakerChange c = OnAttemptFailed(HalfOpen(42), Spec(), 42, At(45));
  EXPECT_TRUE(c.transitioned);
  EXPECT_EQ(c.reason, "probe (task run 42) failed");
  EXPECT_EQ(c.next.state, BreakerState::kOpen);
  EXPECT_EQ(c.next.open_until, At(75));
  EXPECT_EQ(c.next.probe_task_run_id, 0);
  EXPECT_EQ(Admit(c.next, At(74)), Admission::kBlocked);
  EXPECT_FALSE(Tick(c.next, At(74)).transitioned);
  EXPECT_TRUE(Tick(c.next, At(75)).transitioned);
}

TEST(BreakerHalfOpenTest, OutcomesOfOtherAttemptsChangeNothing) {
  const Breaker b = HalfOpen(42);
  for (int64_t other : {int64_t{7}, int64_t{43}}) {
    BreakerChange failed = OnAttemptFailed(b, Spec(1), other, At(45));
    EXPECT_FALSE(failed.transitioned);
    EXPECT_EQ(failed.reason, "");
    ExpectSame(failed.next, b);
    BreakerChange succeeded = OnAttemptSucceeded(b, other, At(45));
    EXPECT_FALSE(succeeded.transitioned);
    ExpectSame(succeeded.next, b);
  }
}

TEST(BreakerHalfOpenTest, OutcomesWithoutAProbeInFlightChangeNothing) {
  const Breaker b = HalfOpen(0);
  ExpectSame(OnAttemptFailed(b, Spec(1), 7, At(45)).next, b);
  ExpectSame(OnAttemptSucceeded(b, 7, At(45)).next, b);
}

// --- A full cycle ---

TEST(BreakerCycleTest, ClosedOpenHalfOpenOpenHalfOpenClosed) {
  const CircuitBreakerSpec spec = Spec(2);
  Breaker b;
  b = OnAttemptFailed(b, spec, 1, At(0)).next;
  BreakerChange opened = OnAttemptFailed(b, spec, 2, At(5));
  ASSERT_TRUE(opened.transitioned);
  b = opened.next;
  EXPECT_EQ(Admit(b, At(20)), Admission::kBlocked);

  BreakerChange half = Tick(b, At(35));
  ASSERT_TRUE(half.transitioned);
  b = half.next;
  ASSERT_EQ(Admit(b, At(35)), Admission::kProbe);
  b.probe_task_run_id = 3;  // as the orchestrator records the lease

  BreakerChange reopened = OnAttemptFailed(b, spec, 3, At(36));
  ASSERT_TRUE(reopened.transitioned);
  b = reopened.next;
  EXPECT_EQ(b.state, BreakerState::kOpen);
  EXPECT_EQ(b.open_until, At(66));

  b = Tick(b, At(66)).next;
  ASSERT_EQ(b.state, BreakerState::kHalfOpen);
  ASSERT_EQ(Admit(b, At(66)), Admission::kProbe);
  b.probe_task_run_id = 4;
  BreakerChange closed = OnAttemptSucceeded(b, 4, At(67));
  ASSERT_TRUE(closed.transitioned);
  b = closed.next;
  EXPECT_EQ(b.state, BreakerState::kClosed);
  EXPECT_EQ(b.failures, 0);

  // Closed again: it takes the full threshold to reopen.
  BreakerChange one = OnAttemptFailed(b, spec, 5, At(68));
  EXPECT_FALSE(one.transitioned);
  EXPECT_EQ(one.next.failures, 1);
  EXPECT_EQ(one.next.window_start, At(68));
  EXPECT_TRUE(OnAttemptFailed(one.next, spec, 6, At(69)).transitioned);
}

// --- Names ---

TEST(BreakerNameTest, NamesAsStored) {
  EXPECT_EQ(Name(BreakerState::kClosed), "CLOSED");
  EXPECT_EQ(Name(BreakerState::kOpen), "OPEN");
  EXPECT_EQ(Name(BreakerState::kHalfOpen), "HALF_OPEN");
}

TEST(BreakerNameTest, ParseRoundTripsAndRefusesOthers) {
  for (BreakerState s : {BreakerState::kClosed, BreakerState::kOpen, BreakerState::kHalfOpen}) {
    EXPECT_EQ(ParseBreakerState(Name(s)), std::optional<BreakerState>(s));
  }
  for (const char* bad : {"", "closed", "HALF-OPEN", "HALFOPEN", "OPEN ", "UNKNOWN"}) {
    EXPECT_EQ(ParseBreakerState(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace baton::engine
