// TimerStore (and LeaseStore::ExpireLeases, the timers' other half) against a
// real PostgreSQL: what each sweep ends once its time has passed, and that
// nothing ends before. Durations are a few hundred milliseconds; every wait
// is bounded.
#include <memory>

#include "orchestrator/engine/retry_rules.h"
#include "orchestrator/store/timer_store.h"
#include "tests/store/leasing_test_base.h"

namespace baton::store {
namespace {

using model::AttemptState;
using model::FlowRunState;
using model::TaskRunState;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class TimerStoreTest : public LeasingStoreTest {
 protected:
  void SetUp() override {
    LeasingStoreTest::SetUp();
    timers_ = std::make_unique<TimerStore>(*pool_);
  }

  int Changed(absl::StatusOr<int> n) {
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : -1;
  }

  // The newest transition of a task, as recorded in history.
  std::string LastReason(int64_t task_run_id) {
    pqxx::connection conn(url_);
    pqxx::read_transaction tx(conn);
    pqxx::result rows = tx.exec_params(
        "SELECT reason FROM state_transitions WHERE entity = 'task' AND task_run_id = $1"
        " ORDER BY id DESC LIMIT 1",
        task_run_id);
    return rows.empty() ? "" : rows[0][0].as<std::string>();
  }

  std::unique_ptr<TimerStore> timers_;
};

// --- Retry delays ---

TEST_F(TimerStoreTest, ARetryDelayComingDueMakesTheTaskReadyForItsNextAttempt) {
  const std::string run_id = StartRun(
      "name: retried\ntasks:\n  - {name: a, handler: noop, retry: {retries: 1, delay: 300ms}}\n");
  const LeaseRecord first = Lease(1).at(0);
  const absl::Time failed_at = absl::Now();
  Fail(first);
  TaskRunRecord task = Task(run_id, "a");
  ASSERT_EQ(task.state, TaskRunState::kAwaitingRetry);
  EXPECT_EQ(task.attempt_count, 1);
  EXPECT_THAT(Lease(1), SizeIs(0)) << "leased during its retry delay";
  EXPECT_EQ(Changed(timers_->WakeRetries(10)), 0) << "woken before its delay";

  ASSERT_EQ(SweepUntil([&] { return timers_->WakeRetries(10); }, 1), 1);
  EXPECT_GE(absl::Now() - failed_at, absl::Milliseconds(290));
  task = Task(run_id, "a");
  EXPECT_EQ(task.state, TaskRunState::kReady);
  EXPECT_EQ(LastReason(first.task_run_id), "retry delay over; attempt 2 may start");
  EXPECT_EQ(Changed(timers_->WakeRetries(10)), 0) << "woken twice";

  const LeaseRecord second = Lease(1).at(0);
  EXPECT_EQ(second.attempt, 2);
  Succeed(second);
  EXPECT_EQ(GetRun(run_id).state, FlowRunState::kCompleted);
}

TEST_F(TimerStoreTest, WakeRetriesHonoursItsLimit) {
  std::string yaml = "name: many\ntasks:\n";
  for (int i = 0; i < 5; ++i) {
    absl::StrAppend(&yaml, "  - {name: t", i,
                    ", handler: noop, retry: {retries: 1, delay: 1ms}}\n");
  }
  StartRun(yaml);
  for (const LeaseRecord& l : Lease(5)) Fail(l);
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(Changed(timers_->WakeRetries(2)), 2);
  EXPECT_EQ(Changed(timers_->WakeRetries(10)), 3);
  EXPECT_EQ(Count("SELECT count(*) FROM task_runs WHERE state = 'READY'"), 5);
}

// --- Schedule-to-start ---

TEST_F(TimerStoreTest, AReadyTaskNotStartedInTimeEndsTimedOutAndItsFallbackRuns) {
  const std::string run_id = StartRun(
      "name: prompt\ntasks:\n"
      "  - {name: a, handler: h.a, schedule_to_start_timeout: 300ms, fallback: b}\n"
      "  - {name: b, handler: h.b}\n");
  EXPECT_EQ(Changed(timers_->ExpireScheduleToStart(10)), 0) << "ended before its timeout";

  ASSERT_EQ(SweepUntil([&] { return timers_->ExpireScheduleToStart(10); }, 1), 1);
  TaskRunRecord a = Task(run_id, "a");
  EXPECT_EQ(a.state, TaskRunState::kTimedOut);
  EXPECT_EQ(a.attempt_count, 0);
  EXPECT_EQ(a.error, "schedule-to-start timeout: not started within 300ms");
  EXPECT_EQ(Task(run_id, "b").state, TaskRunState::kReady);
  EXPECT_EQ(GetRun(run_id).state, FlowRunState::kPending);

  const LeaseRecord fallback = Lease(1).at(0);
  EXPECT_EQ(fallback.task_name, "b");
  Succeed(fallback, "stood in");
  EXPECT_EQ(GetRun(run_id).state, FlowRunState::kCompleted);
}

TEST_F(TimerStoreTest, ATaskLeasedInTimeIsNotEndedByScheduleToStart) {
  constexpr char kPrompt[] =
      "name: prompt\ntasks:\n  - {name: a, handler: h.a, schedule_to_start_timeout: 300ms}\n";
  const std::string leased_run = StartRun(kPrompt);
  const std::string idle_run = StartRun(kPrompt);
  const LeaseRecord leased = Lease(1).at(0);  // the oldest READY task
  ASSERT_EQ(leased.run_id, leased_run);

  ASSERT_EQ(SweepUntil([&] { return timers_->ExpireScheduleToStart(10); }, 1), 1);
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(Changed(timers_->ExpireScheduleToStart(10)), 0);
  EXPECT_EQ(Task(leased_run, "a").state, TaskRunState::kRunning);
  EXPECT_EQ(Task(idle_run, "a").state, TaskRunState::kTimedOut);
  RunRecord idle = GetRun(idle_run);
  EXPECT_EQ(idle.state, FlowRunState::kFailed);
  Succeed(leased);
  EXPECT_EQ(GetRun(leased_run).state, FlowRunState::kCompleted);
}

TEST_F(TimerStoreTest, ScheduleToStartCountsFromWhenATaskIsReadyAgain) {
  const std::string run_id = StartRun(
      "name: again\ntasks:\n  - {name: a, handler: noop, schedule_to_start_timeout: 400ms,"
      " retry: {retries: 1, delay: 0s}}\n");
  const LeaseRecord first = Lease(1).at(0);  // started in time
  absl::SleepFor(absl::Milliseconds(500));   // longer than the timeout, while running
  EXPECT_EQ(Changed(timers_->ExpireScheduleToStart(10)), 0) << "a running task timed out";
  Fail(first);  // retried at once: READY again from now
  ASSERT_EQ(Task(run_id, "a").state, TaskRunState::kReady);
  EXPECT_EQ(Changed(timers_->ExpireScheduleToStart(10)), 0)
      << "the timeout counted from the first time the task was ready";
  ASSERT_EQ(SweepUntil([&] { return timers_->ExpireScheduleToStart(10); }, 1), 1);
  TaskRunRecord a = Task(run_id, "a");
  EXPECT_EQ(a.state, TaskRunState::kTimedOut);
  EXPECT_EQ(a.attempt_count, 1);
}

// --- Flow timeouts ---

TEST_F(TimerStoreTest, ARunPastItsFlowTimeoutIsStoppedAndEndsTimedOut) {
  constexpr char kBounded[] =
      "name: bounded\ntimeout: 300ms\ntasks:\n"
      "  - {name: a, handler: h.a}\n  - {name: b, handler: h.b, depends_on: [a]}\n";
  const std::string ended_run = StartRun(kBounded);
  const std::string busy_run = StartRun(kBounded);
  std::vector<LeaseRecord> leased = Lease(2);
  ASSERT_THAT(leased, SizeIs(2));
  const LeaseRecord busy = leased[0].run_id == busy_run ? leased[0] : leased[1];
  Fail(leased[0].run_id == ended_run ? leased[0] : leased[1]);  // no retry: the run fails
  EXPECT_EQ(GetRun(ended_run).state, FlowRunState::kFailed);
  EXPECT_EQ(Changed(timers_->TimeOutRuns(10)), 0) << "stopped before its timeout";

  ASSERT_EQ(SweepUntil([&] { return timers_->TimeOutRuns(10); }, 1), 1);
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(Changed(timers_->TimeOutRuns(10)), 0) << "stopped twice";
  EXPECT_EQ(GetRun(ended_run).state, FlowRunState::kFailed) << "an ended run is left alone";

  // A run with a running attempt is stopping: its worker is asked to cancel.
  RunRecord stopping = GetRun(busy_run);
  EXPECT_EQ(stopping.state, FlowRunState::kCancelling);
  EXPECT_THAT(stopping.cancel_reason, HasSubstr("flow timeout of 300ms exceeded"));
  EXPECT_EQ(Task(busy_run, "b").state, TaskRunState::kCancelled);
  auto hb = leases_->Heartbeat(worker_, {ClaimOf(busy)}, absl::Seconds(30));
  ASSERT_TRUE(hb.ok()) << hb.status();
  EXPECT_TRUE((*hb)[0].cancel_requested);
  // The attempt's report ends the stop.
  absl::Status s = leases_->CompleteAttempt(ClaimOf(busy), Failed("cancelled"));
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(GetRun(busy_run).state, FlowRunState::kTimedOut);
}

TEST_F(TimerStoreTest, ARunWithNothingRunningEndsTimedOutAtOnce) {
  const std::string run_id = StartRun(
      "name: unserved\ntimeout: 200ms\ntasks:\n  - {name: a, handler: nobody.serves.this}\n");
  ASSERT_EQ(SweepUntil([&] { return timers_->TimeOutRuns(10); }, 1), 1);
  RunRecord run = GetRun(run_id);
  EXPECT_EQ(run.state, FlowRunState::kTimedOut);
  EXPECT_THAT(run.cancel_reason, HasSubstr("flow timeout of 200ms exceeded"));
  EXPECT_NE(run.ended_at, absl::InfinitePast());
  EXPECT_EQ(Task(run_id, "a").state, TaskRunState::kCancelled);
  EXPECT_THAT(Lease(1), SizeIs(0));
}

// --- Lost leases and execution timeouts (LeaseStore::ExpireLeases) ---

TEST_F(TimerStoreTest, ALostLeaseIsRetriedWithoutAPolicyUntilItsAttemptsAreSpent) {
  const std::string run_id = StartRun("name: fragile\ntasks:\n  - {name: a, handler: noop}\n");
  for (int attempt = 1; attempt <= engine::kMinAttemptsForLostLeases; ++attempt) {
    std::vector<LeaseRecord> leased = Lease(1, absl::Milliseconds(100));
    ASSERT_THAT(leased, SizeIs(1)) << "attempt " << attempt;
    EXPECT_EQ(leased[0].attempt, attempt);
    EXPECT_EQ(Changed(leases_->ExpireLeases(10)), 0) << "expired before its lease ran out";
    ASSERT_EQ(SweepUntil([&] { return leases_->ExpireLeases(10); }, 1), 1);
  }
  TaskRunRecord a = Task(run_id, "a");
  EXPECT_EQ(a.state, TaskRunState::kTimedOut);  // lost for good counts as timed out
  ASSERT_THAT(a.attempts, SizeIs(engine::kMinAttemptsForLostLeases));
  for (const AttemptRecord& attempt : a.attempts) {
    EXPECT_EQ(attempt.state, AttemptState::kLeaseExpired);
  }
  EXPECT_EQ(GetRun(run_id).state, FlowRunState::kFailed);
}

TEST_F(TimerStoreTest, AnAttemptPastItsExecutionTimeoutEndsTimedOutAfterTheGrace) {
  LeaseStore leases(*pool_, /*execution_grace=*/absl::Milliseconds(100));
  const std::string run_id =
      StartRun("name: slow\ntasks:\n  - {name: a, handler: noop, timeout: 200ms}\n");
  const absl::Time acked_at = absl::Now();
  const LeaseRecord l = Lease(1, absl::Seconds(30)).at(0);  // the heartbeat lease is long
  EXPECT_EQ(Changed(leases.ExpireLeases(10)), 0);
  ASSERT_EQ(SweepUntil([&] { return leases.ExpireLeases(10); }, 1), 1);
  EXPECT_GE(absl::Now() - acked_at, absl::Milliseconds(290));
  TaskRunRecord a = Task(run_id, "a");
  ASSERT_THAT(a.attempts, SizeIs(1));
  EXPECT_EQ(a.attempts[0].state, AttemptState::kTimedOut);
  EXPECT_EQ(a.state, TaskRunState::kTimedOut);
  EXPECT_EQ(GetRun(run_id).state, FlowRunState::kFailed);
  // The late report is refused.
  absl::Status late = leases.CompleteAttempt(ClaimOf(l), Succeeded("late"));
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition) << late;
}

}  // namespace
}  // namespace baton::store
