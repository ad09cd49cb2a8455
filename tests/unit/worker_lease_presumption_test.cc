// The worker's side of the outage rule: when it stops an attempt on its own.
#include "gtest/gtest.h"
#include "worker/lease_presumption.h"

namespace baton::worker {
namespace {

const absl::Duration kLease = absl::Seconds(3);

// What the orchestrator answers while PostgreSQL is down or restarting
// (messages of orchestrator/store/pg_pool.cc).
const absl::Status kDatabaseGone =
    absl::UnavailableError("database connection: could not connect to server: Connection refused");
const absl::Status kDatabaseShuttingDown = absl::UnavailableError(
    "database: terminating connection due to administrator command (SQLSTATE 57P01)");
// What gRPC says when the orchestrator cannot be reached.
const absl::Status kLinkCut = absl::UnavailableError("failed to connect to all addresses");
const absl::Status kNoAnswer = absl::DeadlineExceededError("Deadline Exceeded");

constexpr absl::Duration kNever = absl::InfiniteDuration();

TEST(PresumeLeaseLostTest, WithinTheLeaseNothingIsPresumed) {
  EXPECT_FALSE(PresumeLeaseLost(absl::Seconds(1), kNever, kLease));
  EXPECT_FALSE(PresumeLeaseLost(kLease, kNever, kLease));
}

TEST(PresumeLeaseLostTest, NoAnswerForAWholeLeaseIsLost) {
  EXPECT_TRUE(PresumeLeaseLost(kLease + absl::Milliseconds(1), kNever, kLease));
  EXPECT_TRUE(PresumeLeaseLost(absl::Seconds(10), kNever, kLease));
  // A database answer older than the lease no longer counts.
  EXPECT_TRUE(PresumeLeaseLost(absl::Seconds(10), kLease + absl::Milliseconds(1), kLease));
}

TEST(PresumeLeaseLostTest, ADatabaseAnswerWithinTheLeaseKeepsTheAttempt) {
  // Heartbeats alternate between "database unavailable" and no answer at all
  // (the orchestrator still waiting for a half-open database): never lost.
  EXPECT_FALSE(PresumeLeaseLost(absl::Seconds(10), absl::Seconds(2), kLease));
  EXPECT_FALSE(PresumeLeaseLost(absl::Hours(1), absl::ZeroDuration(), kLease));
  EXPECT_FALSE(PresumeLeaseLost(absl::Hours(1), kLease, kLease));
}

TEST(OrchestratorLostItsDatabaseTest, UnavailableOrDeadlineFromTheDatabaseCounts) {
  for (const absl::Status& s :
       {kDatabaseGone, kDatabaseShuttingDown,
        absl::DeadlineExceededError("database: the caller's deadline passed before the commit; "
                                    "rolled back, nothing was changed")}) {
    EXPECT_TRUE(OrchestratorLostItsDatabase(s)) << s;
  }
}

TEST(OrchestratorLostItsDatabaseTest, OtherFailuresDoNot) {
  EXPECT_FALSE(OrchestratorLostItsDatabase(kLinkCut));
  EXPECT_FALSE(OrchestratorLostItsDatabase(kNoAnswer));
  EXPECT_FALSE(OrchestratorLostItsDatabase(absl::InternalError("database: syntax error")));
  EXPECT_FALSE(OrchestratorLostItsDatabase(absl::OkStatus()));
}

TEST(HeartbeatCallDeadlineTest, AThirdOfTheShortestLeaseSoTwoMoreBeatsFitBeforeItEnds) {
  EXPECT_EQ(HeartbeatCallDeadline(absl::Seconds(6), absl::Seconds(10)), absl::Seconds(2));
  EXPECT_EQ(HeartbeatCallDeadline(absl::Seconds(4), absl::Seconds(10)), absl::Seconds(4) / 3);
  EXPECT_EQ(HeartbeatCallDeadline(absl::Seconds(3), absl::Seconds(10)), absl::Seconds(1));
}

TEST(HeartbeatCallDeadlineTest, NeverLongerThanTheRpcTimeoutNorShorterThanItsFloor) {
  EXPECT_EQ(HeartbeatCallDeadline(absl::Seconds(60), absl::Seconds(10)), absl::Seconds(10));
  EXPECT_EQ(HeartbeatCallDeadline(absl::InfiniteDuration(), absl::Seconds(10)), absl::Seconds(10));
  EXPECT_EQ(HeartbeatCallDeadline(absl::Milliseconds(300), absl::Seconds(10)), kMinHeartbeatCall);
  EXPECT_EQ(HeartbeatCallDeadline(-absl::Seconds(1), absl::Seconds(10)), kMinHeartbeatCall);
  EXPECT_EQ(HeartbeatCallDeadline(absl::Milliseconds(300), absl::Milliseconds(200)),
            absl::Milliseconds(200));
}

}  // namespace
}  // namespace baton::worker
