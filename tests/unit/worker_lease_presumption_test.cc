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

TEST(PresumeLeaseLostTest, WithinTheLeaseNothingIsPresumed) {
  for (const absl::Status& s : {kDatabaseGone, kLinkCut, kNoAnswer}) {
    EXPECT_FALSE(PresumeLeaseLost(s, absl::Seconds(1), kLease)) << s;
    EXPECT_FALSE(PresumeLeaseLost(s, kLease, kLease)) << s;
  }
}

TEST(PresumeLeaseLostTest, CutOffFromTheOrchestratorPastTheLeaseIsLost) {
  EXPECT_TRUE(PresumeLeaseLost(kLinkCut, kLease + absl::Milliseconds(1), kLease));
  EXPECT_TRUE(PresumeLeaseLost(kNoAnswer, absl::Seconds(10), kLease));
}

TEST(PresumeLeaseLostTest, OrchestratorWithoutItsDatabaseNeverMakesItLost) {
  for (const absl::Status& s : {kDatabaseGone, kDatabaseShuttingDown}) {
    EXPECT_TRUE(OrchestratorLostItsDatabase(s)) << s;
    EXPECT_FALSE(PresumeLeaseLost(s, absl::Seconds(10), kLease)) << s;
    EXPECT_FALSE(PresumeLeaseLost(s, absl::Hours(1), kLease)) << s;
  }
}

TEST(PresumeLeaseLostTest, OnlyUnavailableFromTheDatabaseCounts) {
  EXPECT_FALSE(OrchestratorLostItsDatabase(kLinkCut));
  EXPECT_FALSE(OrchestratorLostItsDatabase(absl::InternalError("database: syntax error")));
  EXPECT_FALSE(OrchestratorLostItsDatabase(absl::OkStatus()));
}

TEST(HeartbeatCallDeadlineTest, AThirdOfTheShortestLeaseSoTwoMoreBeatsFitBeforeItEnds) {
  EXPECT_EQ(HeartbeatCallDeadline(absl::Seconds(6), absl::Seconds(10)), absl::Seconds(2));
  EXPECT_EQ(HeartbeatCallDeadline(absl::Seconds(4), absl::Seconds(10)), absl::Seconds(4) / 3);
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
