// Pure tests of the attempt fence and lease extension, with a fake clock.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orchestrator/engine/lease_rules.h"

namespace baton::engine {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

const absl::Time kExpiry =
    absl::FromCivil(absl::CivilSecond(2026, 11, 29, 10, 0, 3), absl::UTCTimeZone());
constexpr char kToken[] = "5b0e8f5e-7a52-4a8e-9d0c-0d5f1f6a1b2c";

// Task run 17, RUNNING attempt 2, lease until kExpiry.
TaskLeaseView Running() {
  TaskLeaseView view;
  view.task_run_id = 17;
  view.state = TaskRunState::kRunning;
  view.attempt = 2;
  view.lease_token = kToken;
  view.lease_expires_at = kExpiry;
  return view;
}

AttemptClaim Claim() { return {17, 2, kToken}; }

TEST(CheckFenceTest, CurrentAttemptWithMatchingTokenBeforeExpiryIsAccepted) {
  EXPECT_TRUE(CheckFence(Running(), Claim(), kExpiry - absl::Seconds(5)).ok());
  EXPECT_TRUE(CheckFence(Running(), Claim(), kExpiry - absl::Microseconds(1)).ok());
}

TEST(CheckFenceTest, OlderAttemptIsRefusedNamingBothAttempts) {
  AttemptClaim claim = Claim();
  claim.attempt = 1;
  absl::Status s = CheckFence(Running(), claim, kExpiry - absl::Seconds(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "task run 17: attempt 1 is not current (attempt 2 is)");
}

TEST(CheckFenceTest, FutureAttemptIsRefused) {
  AttemptClaim claim = Claim();
  claim.attempt = 3;
  absl::Status s = CheckFence(Running(), claim, kExpiry - absl::Seconds(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "task run 17: attempt 3 is not current (attempt 2 is)");
}

TEST(CheckFenceTest, TaskRunNotRunningIsRefusedNamingItsState) {
  for (TaskRunState state : {TaskRunState::kReady, TaskRunState::kCompleted, TaskRunState::kFailed,
                             TaskRunState::kCancelled}) {
    TaskLeaseView view = Running();
    view.state = state;
    absl::Status s = CheckFence(view, Claim(), kExpiry - absl::Seconds(1));
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << Name(state);
    EXPECT_EQ(s.message(),
              absl::StrCat("task run 17 attempt 2: task run is ", Name(state), ", not RUNNING"));
  }
}

TEST(CheckFenceTest, TokenMismatchIsRefused) {
  AttemptClaim claim = Claim();
  claim.lease_token = "0b9c6f1e-2d3a-4c5b-8e7f-112233445566";
  absl::Status s = CheckFence(Running(), claim, kExpiry - absl::Seconds(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "task run 17 attempt 2: lease token does not match");
}

TEST(CheckFenceTest, EmptyTokensNeverMatch) {
  AttemptClaim empty_claim = Claim();
  empty_claim.lease_token = "";
  EXPECT_EQ(CheckFence(Running(), empty_claim, kExpiry - absl::Seconds(1)).code(),
            absl::StatusCode::kFailedPrecondition);

  // A task run without a token (none issued) refuses even an empty claim.
  TaskLeaseView no_token = Running();
  no_token.lease_token = "";
  absl::Status s = CheckFence(no_token, empty_claim, kExpiry - absl::Seconds(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("lease token does not match"));
}

TEST(CheckFenceTest, LeaseIsExpiredAtItsExpiryInstant) {
  absl::Status s = CheckFence(Running(), Claim(), kExpiry);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("task run 17 attempt 2: lease expired at "),
                                 HasSubstr("2026-11-29T10:00:03")));
}

TEST(CheckFenceTest, LeaseIsExpiredAfterItsExpiry) {
  for (absl::Duration late : {absl::Microseconds(1), absl::Seconds(1), absl::Hours(30)}) {
    absl::Status s = CheckFence(Running(), Claim(), kExpiry + late);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << late;
    EXPECT_THAT(s.message(), HasSubstr("lease expired at")) << late;
  }
}

TEST(CheckFenceTest, AttemptIsCheckedBeforeStateTokenAndExpiry) {
  // Everything is wrong: the message is about the attempt, the first rule.
  TaskLeaseView view = Running();
  view.state = TaskRunState::kReady;
  view.lease_token = "";
  AttemptClaim claim{17, 1, "x"};
  absl::Status s = CheckFence(view, claim, kExpiry + absl::Hours(1));
  EXPECT_EQ(s.message(), "task run 17: attempt 1 is not current (attempt 2 is)");
}

TEST(CheckFenceTest, MessageNamesTheClaimedTaskRun) {
  TaskLeaseView view = Running();
  view.task_run_id = 99;
  AttemptClaim claim{99, 1, kToken};
  EXPECT_THAT(CheckFence(view, claim, kExpiry).message(), HasSubstr("task run 99"));
}

TEST(ExtendLeaseTest, GrantsNowPlusLeaseWhenLater) {
  const absl::Time now = kExpiry - absl::Seconds(1);
  EXPECT_EQ(ExtendLease(kExpiry, now, absl::Seconds(30)), now + absl::Seconds(30));
}

TEST(ExtendLeaseTest, NeverShortens) {
  const absl::Time now = kExpiry - absl::Seconds(20);
  EXPECT_EQ(ExtendLease(kExpiry, now, absl::Seconds(5)), kExpiry);
  EXPECT_EQ(ExtendLease(kExpiry, now, absl::ZeroDuration()), kExpiry);
  EXPECT_EQ(ExtendLease(kExpiry, now, absl::Seconds(20)), kExpiry);
}

TEST(ExtendLeaseTest, NoCurrentLease) {
  const absl::Time now = kExpiry;
  EXPECT_EQ(ExtendLease(absl::InfinitePast(), now, absl::Seconds(10)), now + absl::Seconds(10));
}

// --- the outage rule ---

TEST(LeaseLapsedInOutageTest, ALeaseThatRanOutBeforeTheDatabaseStartedLapsedInTheOutage) {
  EXPECT_TRUE(LeaseLapsedInOutage(kExpiry, kExpiry + absl::Seconds(4)));
  EXPECT_TRUE(LeaseLapsedInOutage(kExpiry, kExpiry));  // ran out at the very instant
  EXPECT_FALSE(LeaseLapsedInOutage(kExpiry, kExpiry - absl::Microseconds(1)));
  EXPECT_FALSE(LeaseLapsedInOutage(kExpiry, absl::InfinitePast()));  // start unknown
}

TEST(CheckFenceTest, LeaseThatLapsedWhileTheDatabaseWasDownIsHeld) {
  // The lease ran out at 10:00:03 while PostgreSQL was down; it started
  // again at 10:00:07. The worker's first heartbeat after that, or its
  // report, is accepted however late it comes, until the leader's grant
  // gives the attempt a lease of its own again.
  TaskLeaseView view = Running();
  view.database_started_at = kExpiry + absl::Seconds(4);
  for (absl::Duration late : {absl::Seconds(5), absl::Seconds(30), absl::Hours(1)}) {
    EXPECT_TRUE(CheckFence(view, Claim(), kExpiry + late).ok()) << late;
    EXPECT_FALSE(LeaseExpired(view, kExpiry + late)) << late;
  }
}

TEST(CheckFenceTest, LeaseThatRanOutAfterTheDatabaseStartedIsExpired) {
  TaskLeaseView view = Running();
  view.database_started_at = kExpiry - absl::Seconds(60);
  absl::Status s = CheckFence(view, Claim(), kExpiry + absl::Seconds(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("lease expired at"));
  EXPECT_TRUE(LeaseExpired(view, kExpiry));
}

TEST(CheckFenceTest, HeldLeaseStillNeedsTheCurrentAttemptAndToken) {
  TaskLeaseView view = Running();
  view.database_started_at = kExpiry + absl::Seconds(4);
  AttemptClaim stale = Claim();
  stale.attempt = 1;
  EXPECT_EQ(CheckFence(view, stale, kExpiry + absl::Seconds(5)).code(),
            absl::StatusCode::kFailedPrecondition);
  AttemptClaim forged = Claim();
  forged.lease_token = "0b9c6f1e-2d3a-4c5b-8e7f-112233445566";
  EXPECT_EQ(CheckFence(view, forged, kExpiry + absl::Seconds(5)).code(),
            absl::StatusCode::kFailedPrecondition);
  view.state = TaskRunState::kReady;  // the reaper ended it: nothing is held
  EXPECT_EQ(CheckFence(view, Claim(), kExpiry + absl::Seconds(5)).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace baton::engine
