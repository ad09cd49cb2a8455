// ScheduleStore against a real PostgreSQL: scheduled runs created ahead of
// time (one per fire, also when two replicas schedule at once), missed fires
// per catch-up policy, promotion of due runs per overlap policy, deployments
// whose flow is gone, and rows held by another transaction skipped, not
// waited for.
#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <thread>

#include "common/base/uuid.h"
#include "tests/store/deployment_test_base.h"

namespace baton::store {
namespace {

using model::FlowRunState;
using model::TaskRunState;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kCreatedByScheduler[] =
    "SELECT count(*) FROM state_transitions WHERE entity = 'run' AND to_state = 'SCHEDULED'"
    " AND reason = 'created by the scheduler'";

std::vector<absl::Time> TimesOf(const std::vector<StoredRun>& runs) {
  std::vector<absl::Time> out;
  for (const StoredRun& r : runs) out.push_back(r.scheduled_time);
  return out;
}

std::vector<std::string> IdsOf(const std::vector<StoredRun>& runs) {
  std::vector<std::string> out;
  for (const StoredRun& r : runs) out.push_back(r.id);
  return out;
}

std::vector<absl::Time> TimesOf(const std::vector<engine::SkippedFire>& fires) {
  std::vector<absl::Time> out;
  for (const engine::SkippedFire& f : fires) out.push_back(f.at);
  return out;
}

class ScheduleStoreTest : public DeploymentStoreTestBase {
 protected:
  void SetUp() override {
    DeploymentStoreTestBase::SetUp();
    ApplyFlowYaml(kOneTaskFlow);
  }

  // A deployment of `nightly` every 10 min, anchored so that a fire
  // (latest_fire_) fell less than a second ago, with `extra` YAML lines.
  DeploymentRecord EveryTenMinutes(const std::string& extra) {
    const absl::Time anchor = AnchorTenHoursAgo(&latest_fire_);
    return ApplyDeploymentYaml(absl::StrCat("name: ten\nflow: nightly\nschedules:\n",
                                            "  - {interval: 10m, anchor: ", Rfc3339(anchor), "}\n",
                                            extra));
  }

  // Three due runs of a deployment with overlap policy `overlap`, at
  // latest_fire_ - 20 min, - 10 min and latest_fire_, oldest first.
  std::vector<std::string> ThreeDueRuns(const std::string& overlap) {
    deployment_ = EveryTenMinutes(absl::StrCat("late_after: 1h\noverlap: ", overlap, "\n"));
    SetCursor(deployment_.id, latest_fire_ - absl::Minutes(20) - absl::Seconds(1));
    Schedule(deployment_.id, absl::ZeroDuration());
    std::vector<StoredRun> runs = Runs(deployment_.id);
    EXPECT_THAT(TimesOf(runs), ElementsAre(latest_fire_ - absl::Minutes(20),
                                           latest_fire_ - absl::Minutes(10), latest_fire_));
    auto due = schedules_->DueRuns(10);
    EXPECT_TRUE(due.ok()) << due.status();
    if (due.ok()) EXPECT_EQ(*due, IdsOf(runs));  // oldest first
    return IdsOf(runs);
  }

  // Ends an active run by hand so that it no longer counts as active.
  void Cancel(const std::string& run_id) {
    auto cancelled = runs_->CancelRun(run_id, "done with it");
    ASSERT_TRUE(cancelled.ok()) << cancelled.status();
    ASSERT_EQ(GetRun(run_id).state, FlowRunState::kCancelled);
  }

  void ExpectStartedWithReadyRoot(const std::string& run_id) {
    RunRecord run = GetRun(run_id);
    EXPECT_EQ(run.state, FlowRunState::kPending) << run_id;
    EXPECT_EQ(run.deployment_id, deployment_.id);
    ASSERT_THAT(run.tasks, SizeIs(1));
    EXPECT_EQ(run.tasks[0].name, "a");
    EXPECT_EQ(run.tasks[0].state, TaskRunState::kReady);
  }

  std::string Overlapped(const std::string& policy) {
    return absl::StrCat("skipped: overlap policy ", policy,
                        ": 1 earlier run(s) of deployment ten still active");
  }

  DeploymentRecord deployment_;
  absl::Time latest_fire_;
};

// --- Creating scheduled runs ---

TEST_F(ScheduleStoreTest, CreatesOneScheduledRunPerFireWithinTheHorizon) {
  const absl::Time before = absl::Now();
  DeploymentRecord d =
      ApplyDeploymentYaml("name: every-minute\nflow: nightly\nschedules:\n  - interval: 1m\n");
  const absl::Time created_cursor = d.cursor;
  EXPECT_GT(created_cursor, before - absl::Seconds(5));  // a new schedule starts now

  const absl::Time called = absl::Now();
  Schedule(d.id, absl::Minutes(10));
  const absl::Time returned = absl::Now();
  std::vector<StoredRun> runs = Runs(d.id);
  // Every whole minute after the cursor up to the database's now + 10 min:
  // ten (eleven when a minute boundary passed during the call).
  ASSERT_GE(runs.size(), 10u);
  ASSERT_LE(runs.size(), 11u);
  EXPECT_EQ(runs.front().scheduled_time,
            absl::FromUnixSeconds((absl::ToUnixSeconds(created_cursor) / 60 + 1) * 60));
  EXPECT_LE(runs.back().scheduled_time, returned + absl::Minutes(10));
  EXPECT_GT(runs.back().scheduled_time + absl::Minutes(1), called + absl::Minutes(10));
  for (size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i].state, "SCHEDULED");
    if (i > 0) EXPECT_EQ(runs[i].scheduled_time - runs[i - 1].scheduled_time, absl::Minutes(1));
  }
  EXPECT_EQ(Cursor("every-minute"), runs.back().scheduled_time);
  EXPECT_EQ(Count(kCreatedByScheduler), static_cast<int64_t>(runs.size()));

  RunRecord first = GetRun(runs[0].id);
  EXPECT_EQ(first.state, FlowRunState::kScheduled);
  EXPECT_EQ(first.flow_name, "nightly");
  EXPECT_EQ(first.flow_version, 1);
  EXPECT_EQ(first.deployment_id, d.id);
  EXPECT_EQ(first.scheduled_time, runs[0].scheduled_time);
  EXPECT_EQ(first.parameters, nlohmann::json({{"n", 1}}));
  EXPECT_THAT(first.tasks, IsEmpty());  // tasks come when it starts

  // Nothing is due yet, and scheduling again changes nothing.
  auto due = schedules_->DueRuns(100);
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_THAT(*due, IsEmpty());
  Schedule(d.id, absl::Minutes(10));
  std::vector<std::string> again = IdsOf(Runs(d.id));
  again.resize(runs.size());
  EXPECT_EQ(again, IdsOf(runs));

  // A longer horizon adds the next ten and keeps the ones made.
  Schedule(d.id, absl::Minutes(20));
  std::vector<StoredRun> more = Runs(d.id);
  ASSERT_GE(more.size(), runs.size() + 10);
  std::vector<std::string> kept = IdsOf(more);
  kept.resize(runs.size());
  EXPECT_EQ(kept, IdsOf(runs));
  EXPECT_EQ(more.back().scheduled_time - more.front().scheduled_time,
            absl::Minutes(static_cast<int64_t>(more.size()) - 1));
  EXPECT_EQ(Count(kCreatedByScheduler), static_cast<int64_t>(more.size()));
  EXPECT_THAT(Skipped(d.id), IsEmpty());
}

TEST_F(ScheduleStoreTest, CatchUpSkipSkipsEveryMissedFire) {
  DeploymentRecord d = EveryTenMinutes("late_after: 5m\ncatch_up: {policy: skip}\n");
  SetCursor(d.id, latest_fire_ - absl::Minutes(45) - absl::Seconds(1));
  Schedule(d.id, absl::Minutes(15));

  EXPECT_THAT(TimesOf(Runs(d.id)), ElementsAre(latest_fire_, latest_fire_ + absl::Minutes(10)));
  std::vector<engine::SkippedFire> skipped = Skipped(d.id);
  EXPECT_THAT(TimesOf(skipped),
              ElementsAre(latest_fire_ - absl::Minutes(10), latest_fire_ - absl::Minutes(20),
                          latest_fire_ - absl::Minutes(30), latest_fire_ - absl::Minutes(40)));
  for (const auto& s : skipped) {
    EXPECT_EQ(s.reason, "missed while no orchestrator was running; catch_up policy skip");
  }
  EXPECT_EQ(Cursor("ten"), latest_fire_ + absl::Minutes(10));

  // Planning again from the same cursor records nothing twice.
  SetCursor(d.id, latest_fire_ - absl::Minutes(45) - absl::Seconds(1));
  Schedule(d.id, absl::Minutes(15));
  EXPECT_THAT(Runs(d.id), SizeIs(2));
  EXPECT_THAT(Skipped(d.id), SizeIs(4));
}

TEST_F(ScheduleStoreTest, CatchUpLatestRunsOnlyTheLatestMissedFire) {
  DeploymentRecord d = EveryTenMinutes("late_after: 5m\ncatch_up: {policy: latest}\n");
  SetCursor(d.id, latest_fire_ - absl::Minutes(45) - absl::Seconds(1));
  Schedule(d.id, absl::Minutes(15));

  EXPECT_THAT(TimesOf(Runs(d.id)), ElementsAre(latest_fire_ - absl::Minutes(10), latest_fire_,
                                               latest_fire_ + absl::Minutes(10)));
  std::vector<engine::SkippedFire> skipped = Skipped(d.id);
  EXPECT_THAT(TimesOf(skipped),
              ElementsAre(latest_fire_ - absl::Minutes(20), latest_fire_ - absl::Minutes(30),
                          latest_fire_ - absl::Minutes(40)));
  for (const auto& s : skipped) {
    EXPECT_EQ(s.reason,
              "missed while no orchestrator was running; catch_up policy latest runs only the "
              "latest missed fire");
  }
}

TEST_F(ScheduleStoreTest, CatchUpAllRunsTheMostRecentMissedFiresWithinItsWindow) {
  DeploymentRecord d =
      EveryTenMinutes("late_after: 5m\ncatch_up: {policy: all, max: 2, within: 35m}\n");
  SetCursor(d.id, latest_fire_ - absl::Minutes(45) - absl::Seconds(1));
  Schedule(d.id, absl::Minutes(15));

  EXPECT_THAT(TimesOf(Runs(d.id)),
              ElementsAre(latest_fire_ - absl::Minutes(20), latest_fire_ - absl::Minutes(10),
                          latest_fire_, latest_fire_ + absl::Minutes(10)));
  std::vector<engine::SkippedFire> skipped = Skipped(d.id);
  ASSERT_THAT(TimesOf(skipped),
              ElementsAre(latest_fire_ - absl::Minutes(30), latest_fire_ - absl::Minutes(40)));
  EXPECT_EQ(skipped[0].reason,
            "missed while no orchestrator was running; catch_up policy all runs at most the 2 "
            "most recent missed fires");
  EXPECT_EQ(skipped[1].reason,
            "missed while no orchestrator was running; older than catch_up within 35m");
}

TEST_F(ScheduleStoreTest, ACaughtUpRunStartingPastLateAfterIsMarkedLate) {
  DeploymentRecord d = EveryTenMinutes("late_after: 5m\ncatch_up: {policy: latest}\n");
  deployment_ = d;
  SetCursor(d.id, latest_fire_ - absl::Minutes(15));
  Schedule(d.id, absl::ZeroDuration());
  std::vector<StoredRun> runs = Runs(d.id);
  ASSERT_THAT(TimesOf(runs), ElementsAre(latest_fire_ - absl::Minutes(10), latest_fire_));
  Promote(runs[0].id);
  Promote(runs[1].id);  // overlap allow: both start

  RunRecord late = GetRun(runs[0].id);
  ExpectStartedWithReadyRoot(runs[0].id);
  EXPECT_TRUE(late.late);
  TransitionRecord started;
  for (const TransitionRecord& t : late.history) {
    if (t.entity == "run" && t.to_state == "PENDING") started = t;
  }
  EXPECT_EQ(started.from_state, "SCHEDULED");
  EXPECT_THAT(started.reason, HasSubstr("started late: 10m"));
  EXPECT_THAT(started.reason, HasSubstr("after its scheduled time (late after 5m)"));
  EXPECT_FALSE(GetRun(runs[1].id).late);  // less than a second after its time
}

TEST_F(ScheduleStoreTest, TwoReplicasSchedulingAtOnceMakeOneRunPerFire) {
  DeploymentRecord d =
      ApplyDeploymentYaml("name: every-second\nflow: nightly\nschedules:\n  - interval: 1s\n");
  const absl::Time start = d.cursor;
  PgPoolOptions options;
  options.url = url_;
  options.size = 4;
  auto other_pool = PgPool::Open(options);
  ASSERT_TRUE(other_pool.ok()) << other_pool.status();
  ScheduleStore replica_a(*pool_);
  ScheduleStore replica_b(**other_pool);

  // Each replica plans again and again from the same cursor (as after a
  // takeover), so both keep planning the same fires.
  std::atomic<int> errors{0};
  std::promise<void> go;
  std::shared_future<void> ready = go.get_future().share();
  auto replica = [&](ScheduleStore* store) {
    ready.wait();
    for (int i = 0; i < 15; ++i) {
      SetCursor(d.id, start);
      if (!store->ScheduleDeployment(d.id, absl::Seconds(20)).ok()) ++errors;
    }
  };
  std::thread a(replica, &replica_a);
  std::thread b(replica, &replica_b);
  go.set_value();
  a.join();
  b.join();
  EXPECT_EQ(errors.load(), 0);

  std::vector<StoredRun> runs = Runs(d.id);
  ASSERT_GE(runs.size(), 20u);
  std::set<absl::Time> distinct;
  for (const StoredRun& r : runs) distinct.insert(r.scheduled_time);
  EXPECT_EQ(distinct.size(), runs.size()) << "two runs for one fire";
  // Every second after the cursor, none missing.
  EXPECT_EQ(runs.front().scheduled_time, absl::FromUnixSeconds(absl::ToUnixSeconds(start) + 1));
  EXPECT_EQ(runs.back().scheduled_time - runs.front().scheduled_time,
            absl::Seconds(static_cast<int64_t>(runs.size()) - 1));
  EXPECT_EQ(Count(kCreatedByScheduler), static_cast<int64_t>(runs.size()));
  EXPECT_THAT(Skipped(d.id), IsEmpty());
}

// --- Deployments that cannot run ---

TEST_F(ScheduleStoreTest, FiresOfADeploymentWhoseFlowIsGoneAreSkippedWithTheReason) {
  DeploymentRecord ghost =
      ApplyDeploymentYaml("name: ghost\nflow: nowhere\nschedules:\n  - interval: 1m\n");
  Schedule(ghost.id, absl::Minutes(5));
  EXPECT_THAT(Runs(ghost.id), IsEmpty());
  std::vector<engine::SkippedFire> skipped = Skipped(ghost.id);
  ASSERT_THAT(skipped, SizeIs(5));
  for (const auto& s : skipped) EXPECT_EQ(s.reason, "flow \"nowhere\" does not exist");
  EXPECT_EQ(Cursor("ghost"), skipped.front().at);  // newest first; handled up to it

  // A pinned version that was never stored is just as gone.
  DeploymentRecord pinned = ApplyDeploymentYaml(
      "name: pinned\nflow: nightly\nflow_version: 9\nschedules:\n  - interval: 1m\n");
  Schedule(pinned.id, absl::Minutes(2));
  EXPECT_THAT(Runs(pinned.id), IsEmpty());
  skipped = Skipped(pinned.id);
  ASSERT_THAT(skipped, SizeIs(2));
  EXPECT_EQ(skipped[0].reason, "flow \"nightly\" has no version 9");
}

TEST_F(ScheduleStoreTest, FiresWhoseParametersNoLongerFitTheFlowAreSkipped) {
  DeploymentRecord d = ApplyDeploymentYaml(
      "name: misfit\nflow: nightly\nparameters: {bogus: 1}\nschedules:\n  - interval: 1m\n");
  Schedule(d.id, absl::Minutes(3));
  EXPECT_THAT(Runs(d.id), IsEmpty());
  std::vector<engine::SkippedFire> skipped = Skipped(d.id);
  ASSERT_THAT(skipped, SizeIs(3));
  EXPECT_THAT(skipped[0].reason, HasSubstr("bogus"));
}

// --- Promotion per overlap policy ---

TEST_F(ScheduleStoreTest, OverlapAllowStartsEveryDueRun) {
  const std::vector<std::string> ids = ThreeDueRuns("allow");
  for (const std::string& id : ids) Promote(id);
  for (const std::string& id : ids) ExpectStartedWithReadyRoot(id);
  auto due = schedules_->DueRuns(10);
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_THAT(*due, IsEmpty());
  EXPECT_THAT(Skipped(deployment_.id), IsEmpty());
  EXPECT_FALSE(GetRun(ids[0]).late);  // 20 min after its time, late only after 1 h
}

TEST_F(ScheduleStoreTest, OverlapSkipEndsADueRunWhileAnEarlierOneIsActive) {
  const std::vector<std::string> ids = ThreeDueRuns("skip");
  Promote(ids[0]);
  ExpectStartedWithReadyRoot(ids[0]);
  Promote(ids[1]);

  RunRecord skipped = GetRun(ids[1]);
  EXPECT_EQ(skipped.state, FlowRunState::kCancelled);
  EXPECT_EQ(skipped.error, Overlapped("skip"));
  EXPECT_THAT(skipped.tasks, IsEmpty());
  std::vector<engine::SkippedFire> fires = Skipped(deployment_.id);
  ASSERT_THAT(fires, SizeIs(1));
  EXPECT_EQ(fires[0].at, latest_fire_ - absl::Minutes(10));
  EXPECT_EQ(fires[0].reason, Overlapped("skip"));

  // Once the earlier run ended, the next one starts.
  Cancel(ids[0]);
  Promote(ids[2]);
  ExpectStartedWithReadyRoot(ids[2]);
}

TEST_F(ScheduleStoreTest, OverlapBufferOneKeepsOneWaitingAndSkipsTheRest) {
  const std::vector<std::string> ids = ThreeDueRuns("buffer_one");
  Promote(ids[0]);
  ExpectStartedWithReadyRoot(ids[0]);

  Promote(ids[1]);  // waits for ids[0]
  EXPECT_EQ(GetRun(ids[1]).state, FlowRunState::kScheduled);
  Promote(ids[2]);  // the buffer is full
  EXPECT_EQ(GetRun(ids[2]).state, FlowRunState::kCancelled);
  EXPECT_EQ(GetRun(ids[2]).error, Overlapped("buffer_one"));
  EXPECT_THAT(TimesOf(Skipped(deployment_.id)), ElementsAre(latest_fire_));

  Promote(ids[1]);  // still waiting: ids[0] is active
  EXPECT_EQ(GetRun(ids[1]).state, FlowRunState::kScheduled);
  Cancel(ids[0]);
  Promote(ids[1]);
  ExpectStartedWithReadyRoot(ids[1]);
}

TEST_F(ScheduleStoreTest, OverlapCancelPreviousCancelsTheActiveRunAndStarts) {
  const std::vector<std::string> ids = ThreeDueRuns("cancel_previous");
  Promote(ids[0]);
  ExpectStartedWithReadyRoot(ids[0]);
  Promote(ids[1]);
  ExpectStartedWithReadyRoot(ids[1]);

  RunRecord previous = GetRun(ids[0]);
  EXPECT_EQ(previous.state, FlowRunState::kCancelled);
  EXPECT_THAT(
      previous.cancel_reason,
      HasSubstr(absl::StrCat("overlap policy cancel_previous: scheduled run ", ids[1], " starts")));
  ASSERT_THAT(previous.tasks, SizeIs(1));
  EXPECT_EQ(previous.tasks[0].state, TaskRunState::kCancelled);
  EXPECT_THAT(Skipped(deployment_.id), IsEmpty());
}

// --- Rows held elsewhere ---

TEST_F(ScheduleStoreTest, ADueRunLockedByAnotherTransactionIsSkippedNotWaitedFor) {
  const std::vector<std::string> ids = ThreeDueRuns("allow");
  pqxx::connection conn(url_);
  pqxx::work holder(conn);
  holder.exec_params("SELECT 1 FROM flow_runs WHERE id = $1::uuid FOR UPDATE", ids[0]);

  const absl::Time begin = absl::Now();
  std::future<absl::Status> promoted =
      std::async(std::launch::async, [&] { return schedules_->PromoteDueRun(ids[0]); });
  const bool returned = promoted.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
  holder.abort();  // lets a blocked call finish either way
  const absl::Status status = promoted.get();
  ASSERT_TRUE(returned) << "PromoteDueRun waited for the row lock";
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_LT(absl::Now() - begin, absl::Seconds(2));
  EXPECT_EQ(GetRun(ids[0]).state, FlowRunState::kScheduled);

  Promote(ids[0]);  // free again
  ExpectStartedWithReadyRoot(ids[0]);
}

TEST_F(ScheduleStoreTest, ADeploymentLockedByAnotherReplicaIsSkippedNotWaitedFor) {
  DeploymentRecord d =
      ApplyDeploymentYaml("name: every-minute\nflow: nightly\nschedules:\n  - interval: 1m\n");
  pqxx::connection conn(url_);
  pqxx::work holder(conn);
  holder.exec_params("SELECT 1 FROM deployments WHERE id = $1::uuid FOR UPDATE", d.id);

  std::future<absl::Status> scheduled = std::async(
      std::launch::async, [&] { return schedules_->ScheduleDeployment(d.id, absl::Minutes(5)); });
  const bool returned = scheduled.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
  holder.abort();
  const absl::Status status = scheduled.get();
  ASSERT_TRUE(returned) << "ScheduleDeployment waited for the row lock";
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(Runs(d.id), IsEmpty());
  EXPECT_EQ(Cursor("every-minute"), d.cursor);

  Schedule(d.id, absl::Minutes(5));
  EXPECT_THAT(Runs(d.id), SizeIs(5));
}

TEST_F(ScheduleStoreTest, IdsThatAreNotUuidsAreRefusedBeforeTheDatabase) {
  const std::string message =
      "\"nope\" is not a UUID; expected e.g. 0b9c6f1e-2d3a-4c5b-8e7f-112233445566";
  absl::Status s = schedules_->ScheduleDeployment("nope", absl::Minutes(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "deployment id " + message);
  s = schedules_->PromoteDueRun("nope");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "run id " + message);
  auto skips = schedules_->SkippedFires("nope", 10);
  EXPECT_EQ(skips.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(skips.status().message(), "deployment id " + message);
}

}  // namespace
}  // namespace baton::store
