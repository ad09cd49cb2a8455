// Pure tests of the attempt fence and lease extension, with a fake clock.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orchestrator/engine/lease_rules.h"

namespace baton::engine {

using model::TaskRunState;

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

TEST(CheckFenceTest, CurrentAttemptWithMatchingTokenIsAccepted) {
  EXPECT_TRUE(CheckFence(Running(), Claim()).ok());
}

TEST(CheckFenceTest, OlderAttemptIsRefusedNamingBothAttempts) {
  AttemptClaim claim = Claim();
  claim.attempt = 1;
  absl::Status s = CheckFence(Running(), claim);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "task run 17: attempt 1 is not current (attempt 2 is)");
}

TEST(CheckFenceTest, FutureAttemptIsRefused) {
  AttemptClaim claim = Claim();
  claim.attempt = 3;
  absl::Status s = CheckFence(Running(), claim);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "task run 17: attempt 3 is not current (attempt 2 is)");
}

TEST(CheckFenceTest, TaskRunNotRunningIsRefusedNamingItsState) {
  for (TaskRunState state : {TaskRunState::kReady, TaskRunState::kCompleted, TaskRunState::kFailed,
                             TaskRunState::kCancelled}) {
    TaskLeaseView view = Running();
    view.state = state;
    absl::Status s = CheckFence(view, Claim());
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << Name(state);
    EXPECT_EQ(s.message(),
              absl::StrCat("task run 17 attempt 2: task run is ", Name(state), ", not RUNNING"));
  }
}

TEST(CheckFenceTest, TokenMismatchIsRefused) {
  AttemptClaim claim = Claim();
  claim.lease_token = "0b9c6f1e-2d3a-4c5b-8e7f-112233445566";
  absl::Status s = CheckFence(Running(), claim);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "task run 17 attempt 2: lease token does not match");
}

TEST(CheckFenceTest, EmptyTokensNeverMatch) {
  AttemptClaim empty_claim = Claim();
  empty_claim.lease_token = "";
  EXPECT_EQ(CheckFence(Running(), empty_claim).code(), absl::StatusCode::kFailedPrecondition);

  // A task run without a token (none issued) refuses even an empty claim.
  TaskLeaseView no_token = Running();
  no_token.lease_token = "";
  absl::Status s = CheckFence(no_token, empty_claim);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("lease token does not match"));
}

TEST(CheckFenceTest, AttemptIsCheckedBeforeStateAndToken) {
  // Everything is wrong: the message is about the attempt, the first rule.
  TaskLeaseView view = Running();
  view.state = TaskRunState::kReady;
  view.lease_token = "";
  AttemptClaim claim{17, 1, "x"};
  absl::Status s = CheckFence(view, claim);
  EXPECT_EQ(s.message(), "task run 17: attempt 1 is not current (attempt 2 is)");
}

TEST(CheckFenceTest, MessageNamesTheClaimedTaskRun) {
  TaskLeaseView view = Running();
  view.task_run_id = 99;
  AttemptClaim claim{99, 1, kToken};
  EXPECT_THAT(CheckFence(view, claim).message(), HasSubstr("task run 99"));
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

TEST(CheckFenceTest, ALeaseWhoseTimePassedIsHeldUntilTheTimersEndIt) {
  // Its time says nothing alone: the database may have been unreachable. The
  // view carries no clock at all; the current attempt with its token is held.
  TaskLeaseView view = Running();
  view.lease_expires_at = absl::InfinitePast();
  EXPECT_TRUE(CheckFence(view, Claim()).ok());
}

TEST(CheckFenceTest, HeldLeaseStillNeedsTheCurrentAttemptAndToken) {
  TaskLeaseView view = Running();
  view.lease_expires_at = absl::InfinitePast();
  AttemptClaim stale = Claim();
  stale.attempt = 1;
  EXPECT_EQ(CheckFence(view, stale).code(), absl::StatusCode::kFailedPrecondition);
  AttemptClaim forged = Claim();
  forged.lease_token = "0b9c6f1e-2d3a-4c5b-8e7f-112233445566";
  EXPECT_EQ(CheckFence(view, forged).code(), absl::StatusCode::kFailedPrecondition);
  view.state = TaskRunState::kReady;  // the timers ended it: nothing is held
  EXPECT_EQ(CheckFence(view, Claim()).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace baton::engine
