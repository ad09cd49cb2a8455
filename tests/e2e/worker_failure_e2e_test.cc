// Workers die, stall and leave; the orchestrator loses no task and accepts no
// result from an attempt that is no longer current.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/invariants.h"
#include "tests/support/test_cluster.h"

namespace baton::testing {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

template <typename Request, typename Response, typename Method>
grpc::Status Call(TestCluster& cluster, Method method, const Request& request, Response* response) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return (cluster.worker_api().*method)(&ctx, request, response);
}

constexpr char kSlowThenFast[] =
    "name: slow-then-fast\n"
    "tasks:\n"
    "  - {name: slow, handler: sleep, config: {seconds: 2}}\n"
    "  - {name: after, handler: noop, depends_on: [slow]}\n";

TEST(WorkerFailure, WorkerKilledMidTaskLosesNothing) {
  TestCluster cluster("sigkill");
  ChildProcess& doomed = cluster.StartWorker({"--name", "doomed", "--slots", "1"});
  const std::string run_id = cluster.ApplyAndStart(kSlowThenFast, "slow-then-fast");
  ASSERT_TRUE(
      cluster.WaitForTaskState(run_id, "slow", v1::TASK_RUN_STATE_RUNNING, absl::Seconds(20)));
  doomed.Signal(SIGKILL);
  ASSERT_TRUE(doomed.WaitExit(absl::Seconds(5)));
  cluster.StartWorker({"--name", "rescuer", "--slots", "1"});

  auto run = cluster.WaitForRunEnd(run_id, absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->state(), v1::FLOW_RUN_STATE_COMPLETED);
  const v1::TaskRun* slow = FindTask(*run, "slow");
  ASSERT_NE(slow, nullptr);
  ASSERT_EQ(slow->attempts_size(), 2);
  EXPECT_EQ(slow->attempts(0).state(), v1::ATTEMPT_STATE_LEASE_EXPIRED);
  EXPECT_EQ(slow->attempts(0).worker_name(), "doomed");
  EXPECT_EQ(slow->attempts(1).state(), v1::ATTEMPT_STATE_SUCCEEDED);
  EXPECT_EQ(slow->attempts(1).worker_name(), "rescuer");
  EXPECT_EQ(FindTask(*run, "after")->state(), v1::TASK_RUN_STATE_COMPLETED);
  EXPECT_THAT(InvariantViolations(cluster.database_url()), IsEmpty());
}

TEST(WorkerFailure, LateCompletionAndHeartbeatFromAnExpiredAttemptAreRefused) {
  TestCluster cluster("late");
  const std::string run_id = cluster.ApplyAndStart(
      "name: one\ntasks:\n  - {name: t, handler: sleep, config: {seconds: 1}}\n", "one");

  // This test is the worker that vanishes: it takes the lease, then goes silent.
  v1::RegisterWorkerRequest reg;
  reg.set_name("vanishing");
  reg.set_slots(1);
  reg.add_handlers("sleep");
  v1::RegisterWorkerResponse me;
  ASSERT_TRUE(Call(cluster, &v1::WorkerService::Stub::RegisterWorker, reg, &me).ok());
  v1::PollLeasesRequest poll;
  poll.set_worker_id(me.worker_id());
  poll.set_max_leases(1);
  poll.mutable_wait()->set_seconds(5);
  v1::PollLeasesResponse leases;
  ASSERT_TRUE(Call(cluster, &v1::WorkerService::Stub::PollLeases, poll, &leases).ok());
  ASSERT_EQ(leases.leases_size(), 1);
  const v1::AttemptRef stale = leases.leases(0).attempt();
  EXPECT_EQ(stale.attempt(), 1);
  // It acknowledges the lease (its first heartbeat), as a worker that starts it does.
  v1::HeartbeatRequest ack;
  ack.set_worker_id(me.worker_id());
  *ack.add_attempts() = stale;
  v1::HeartbeatResponse acked;
  ASSERT_TRUE(Call(cluster, &v1::WorkerService::Stub::Heartbeat, ack, &acked).ok());
  ASSERT_EQ(acked.directives(0).action(), v1::AttemptDirective::CONTINUE);

  // The lease (2 s) expires; a real worker takes attempt 2.
  cluster.StartWorker({"--name", "real"});
  ASSERT_TRUE(WaitUntil(absl::Seconds(20), [&] {
    auto run = cluster.GetRun(run_id);
    return run.ok() && run->tasks(0).attempt_count() == 2;
  }));

  v1::HeartbeatRequest beat;
  beat.set_worker_id(me.worker_id());
  *beat.add_attempts() = stale;
  v1::HeartbeatResponse directives;
  ASSERT_TRUE(Call(cluster, &v1::WorkerService::Stub::Heartbeat, beat, &directives).ok());
  ASSERT_EQ(directives.directives_size(), 1);
  EXPECT_EQ(directives.directives(0).action(), v1::AttemptDirective::LEASE_LOST);
  EXPECT_EQ(directives.directives(0).code(), grpc::StatusCode::FAILED_PRECONDITION);

  v1::CompleteAttemptRequest late;
  late.set_worker_id(me.worker_id());
  *late.mutable_attempt() = stale;
  late.set_result_json(R"({"stale": true})");
  v1::CompleteAttemptResponse ignored;
  grpc::Status refused = Call(cluster, &v1::WorkerService::Stub::CompleteAttempt, late, &ignored);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("attempt 1 is not current (attempt 2 is)"));

  auto run = cluster.WaitForRunEnd(run_id, absl::Seconds(20));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->state(), v1::FLOW_RUN_STATE_COMPLETED);
  EXPECT_EQ(json::parse(run->result_json()), json({{"slept_seconds", 1}}));
  EXPECT_EQ(run->tasks(0).attempts(0).state(), v1::ATTEMPT_STATE_LEASE_EXPIRED);
  EXPECT_THAT(InvariantViolations(cluster.database_url()), IsEmpty());

  // Once the run is over, the stale attempt is still refused.
  refused = Call(cluster, &v1::WorkerService::Stub::CompleteAttempt, late, &ignored);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST(WorkerFailure, SigtermDrainsRunningAttemptsThenDeregisters) {
  TestCluster cluster("drain");
  ChildProcess& worker = cluster.StartWorker({"--name", "draining", "--slots", "2"});
  const std::string run_id = cluster.ApplyAndStart(
      "name: drain\ntasks:\n  - {name: t, handler: sleep, config: {seconds: 1.5}}\n", "drain");
  ASSERT_TRUE(cluster.WaitForTaskState(run_id, "t", v1::TASK_RUN_STATE_RUNNING, absl::Seconds(20)));
  worker.Signal(SIGTERM);
  std::optional<int> status = worker.WaitExit(absl::Seconds(15));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  auto run = cluster.GetRun(run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->state(), v1::FLOW_RUN_STATE_COMPLETED);  // finished before the worker left
  CliResult workers = cluster.Cli({"worker", "list", "--all"});
  EXPECT_THAT(workers.out, HasSubstr("STOPPED"));
}

TEST(WorkerFailure, IdlePollIsWokenPromptlyWhenWorkBecomesReady) {
  TestCluster cluster("wakeup");
  cluster.StartWorker();  // polls with a 5 s wait; the server rechecks every 2 s
  ASSERT_TRUE(WaitUntil(absl::Seconds(10), [&] {
    return cluster.Cli({"worker", "list"}).out.find("ONLINE") != std::string::npos;
  }));
  for (int i = 0; i < 3; ++i) {
    absl::SleepFor(absl::Milliseconds(300));  // the worker is inside a poll now
    const std::string run_id =
        cluster.ApplyAndStart("name: quick\ntasks:\n  - {name: t, handler: noop}\n", "quick");
    auto run = cluster.WaitForRunEnd(run_id, absl::Seconds(10));
    ASSERT_TRUE(run.ok()) << run.status();
    const auto& t = run->tasks(0);
    const int64_t wait_ms = (t.started_at().seconds() - t.ready_at().seconds()) * 1000 +
                            (t.started_at().nanos() - t.ready_at().nanos()) / 1000000;
    EXPECT_LT(wait_ms, 500) << "ready to started took " << wait_ms << " ms";
  }
}

}  // namespace
}  // namespace baton::testing
