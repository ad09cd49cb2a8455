// Retries, timeouts, circuit breakers, fallbacks and cancellation, declared in
// flow files and enforced by real processes; and the course's exercises 02
// and 03 as they ship in examples/.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/invariants.h"
#include "tests/support/test_cluster.h"
#include "tests/support/test_files.h"

namespace baton::testing {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Example(const std::string& path) { return SourceDir() + "/examples/" + path; }

int64_t Millis(const google::protobuf::Duration& d) {
  return d.seconds() * 1000 + d.nanos() / 1000000;
}

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// The pid a shell task wrote to `path` (0 until it did).
pid_t ReadPid(const std::string& path) {
  std::ifstream in(path);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

v1::Run RunToEnd(TestCluster& cluster, const std::string& run_id) {
  auto run = cluster.WaitForRunEnd(run_id, absl::Seconds(60));
  EXPECT_TRUE(run.ok()) << run.status();
  return run.ok() ? *run : v1::Run();
}

std::string StartExample(TestCluster& cluster, const std::string& file, const std::string& flow,
                         std::vector<std::string> params) {
  CliResult applied = cluster.Cli({"flow", "apply", "-f", Example(file)});
  EXPECT_EQ(applied.exit_code, 0) << applied.err;
  std::vector<std::string> args = {"-o", "json", "run", "start", flow};
  for (const auto& p : params) args.insert(args.end(), {"-p", p});
  CliResult started = cluster.Cli(args);
  EXPECT_EQ(started.exit_code, 0) << started.err;
  return json::parse(started.out)["run"]["id"];
}

TEST(Resilience, CourseRetryExampleRecoversAfterTransientFailures) {
  TestCluster cluster("retries");
  cluster.StartWorker({}, ExampleWorkerBinary());
  const std::string id = StartExample(cluster, "02-retries-and-timeouts/flow.yaml", "robust-flow",
                                      {"failure_rate=0", "fail_first=2"});
  const v1::Run run = RunToEnd(cluster, id);
  EXPECT_EQ(run.state(), v1::FLOW_RUN_STATE_COMPLETED);
  EXPECT_EQ(run.result_json(), "42");
  const v1::TaskRun& call = run.tasks(0);
  ASSERT_EQ(call.attempts_size(), 3);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(call.attempts(i).state(), v1::ATTEMPT_STATE_FAILED);
    EXPECT_EQ(call.attempts(i).error(), "Transient upstream error");
    EXPECT_EQ(Millis(call.attempts(i).retry_delay()), 2000);  // retry_delay_seconds=2
    // The next attempt did not start before its delay was over.
    EXPECT_GE(TimeOf(call.attempts(i + 1).leased_at()) - TimeOf(call.attempts(i).ended_at()),
              absl::Milliseconds(1990));
  }
  EXPECT_EQ(call.attempts(2).state(), v1::ATTEMPT_STATE_SUCCEEDED);
  EXPECT_THAT(InvariantViolations(cluster.database_url()), IsEmpty());
}

TEST(Resilience, ExponentialBackoffWithJitterIsRecordedPerAttempt) {
  TestCluster cluster("backoff");
  cluster.StartWorker({}, ExampleWorkerBinary());
  const std::string id =
      StartExample(cluster, "02-retries-and-timeouts/flow-exponential.yaml",
                   "robust-flow-exponential", {"failure_rate=0", "fail_first=2"});
  const v1::Run run = RunToEnd(cluster, id);
  EXPECT_EQ(run.state(), v1::FLOW_RUN_STATE_COMPLETED);
  const v1::TaskRun& call = run.tasks(0);
  ASSERT_EQ(call.attempts_size(), 3);
  const int64_t bases[] = {1000, 2000};  // initial 1 s, factor 2
  for (int i = 0; i < 2; ++i) {
    const v1::Attempt& a = call.attempts(i);
    EXPECT_EQ(Millis(a.retry_base_delay()), bases[i]);
    const double sample = a.jitter_sample();
    EXPECT_GE(sample, 0.0);
    EXPECT_LT(sample, 1.0);
    // delay = base * (1 + 0.3 * (2 * sample - 1)), to the millisecond.
    const double expected = bases[i] * (1.0 + 0.3 * (2.0 * sample - 1.0));
    EXPECT_NEAR(static_cast<double>(Millis(a.retry_delay())), expected, 1.5);
  }
}

TEST(Resilience, NonRetryableErrorsAndSpentRetriesFailForGood) {
  TestCluster cluster("final");
  cluster.StartWorker({"--slots", "2"});
  const std::string id = cluster.ApplyAndStart(R"(
name: failing
tasks:
  - name: spent
    handler: exec
    config: {command: sh, args: ["-c", "exit 4"]}
    retry: {retries: 2, delay: 100ms}
  - name: final
    handler: exec
    config: {command: sh, args: ["-c", "exit 5"]}
    retry: {retries: 5, delay: 100ms, non_retryable_errors: [ABORTED]}
)",
                                               "failing");
  const v1::Run run = RunToEnd(cluster, id);
  EXPECT_EQ(run.state(), v1::FLOW_RUN_STATE_FAILED);
  const v1::TaskRun* spent = FindTask(run, "spent");
  const v1::TaskRun* final_error = FindTask(run, "final");
  EXPECT_EQ(spent->attempts_size(), 3);
  EXPECT_THAT(spent->attempts(2).decision(), HasSubstr("no attempts left (3 of 3)"));
  EXPECT_EQ(final_error->attempts_size(), 1);
  EXPECT_THAT(final_error->attempts(0).decision(), HasSubstr("ABORTED is listed as non-retryable"));
  EXPECT_THAT(run.error(), HasSubstr("exited with code 5"));
}

TEST(Resilience, HungHandlerIsTimedOutAndItsProcessKilled) {
  TestCluster cluster("hung");
  cluster.StartWorker();
  const std::string pid_file = cluster.dir() + "/hung.pid";
  const std::string id = cluster.ApplyAndStart(absl::StrCat(R"(
name: hung
tasks:
  - name: hang
    handler: exec
    timeout: 1s
    retry: {retries: 1, delay: 100ms}
    config: {command: sh, args: ["-c", "echo $$ > )",
                                                            pid_file,
                                                            R"(; sleep 60"], kill_grace_seconds: 1}
)"),
                                               "hung");
  const v1::Run run = RunToEnd(cluster, id);
  EXPECT_EQ(run.state(), v1::FLOW_RUN_STATE_FAILED);
  const v1::TaskRun& hang = run.tasks(0);
  EXPECT_EQ(hang.state(), v1::TASK_RUN_STATE_TIMED_OUT);
  ASSERT_EQ(hang.attempts_size(), 2) << "a timed-out attempt is retried like a failure";
  for (const auto& a : hang.attempts()) {
    EXPECT_EQ(a.state(), v1::ATTEMPT_STATE_TIMED_OUT);
    EXPECT_EQ(a.error_type(), "ExecutionTimeout");
    EXPECT_LT(TimeOf(a.ended_at()) - TimeOf(a.leased_at()), absl::Seconds(10));
  }
  const pid_t pid = ReadPid(pid_file);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(WaitUntil(absl::Seconds(5), [&] { return ProcessGone(pid); }));
}

// This test is the worker: it keeps heartbeating past the execution timeout,
// as a buggy handler would; the orchestrator still ends the attempt.
TEST(Resilience, HeartbeatsDoNotOutliveTheExecutionTimeout) {
  ClusterOptions options;
  options.extra_orchestrator_args = {"--execution-grace", "500ms"};
  TestCluster cluster("overrun", options);
  const std::string id = cluster.ApplyAndStart(
      "name: overrun\ntasks:\n  - {name: t, handler: sleep, timeout: 1s}\n", "overrun");
  grpc::ClientContext reg_ctx;
  v1::RegisterWorkerRequest reg;
  reg.set_name("stubborn");
  reg.set_slots(1);
  reg.add_handlers("sleep");
  v1::RegisterWorkerResponse me;
  ASSERT_TRUE(cluster.worker_api().RegisterWorker(&reg_ctx, reg, &me).ok());
  grpc::ClientContext poll_ctx;
  v1::PollLeasesRequest poll;
  poll.set_worker_id(me.worker_id());
  poll.set_max_leases(1);
  poll.mutable_wait()->set_seconds(5);
  v1::PollLeasesResponse leases;
  ASSERT_TRUE(cluster.worker_api().PollLeases(&poll_ctx, poll, &leases).ok());
  ASSERT_EQ(leases.leases_size(), 1);
  EXPECT_EQ(leases.leases(0).execution_timeout().seconds(), 1);

  v1::AttemptDirective last;
  WaitUntil(absl::Seconds(10), [&] {
    grpc::ClientContext ctx;
    v1::HeartbeatRequest beat;
    beat.set_worker_id(me.worker_id());
    *beat.add_attempts() = leases.leases(0).attempt();
    v1::HeartbeatResponse out;
    if (!cluster.worker_api().Heartbeat(&ctx, beat, &out).ok()) return false;
    last = out.directives(0);
    absl::SleepFor(absl::Milliseconds(200));
    return last.action() != v1::AttemptDirective::CONTINUE;
  });
  EXPECT_EQ(last.action(), v1::AttemptDirective::LEASE_LOST);
  const v1::Run run = RunToEnd(cluster, id);
  EXPECT_EQ(run.state(), v1::FLOW_RUN_STATE_FAILED);
  EXPECT_EQ(run.tasks(0).attempts(0).state(), v1::ATTEMPT_STATE_TIMED_OUT);
  EXPECT_THAT(InvariantViolations(cluster.database_url()), IsEmpty());
}

TEST(Resilience, StoppedWorkerLearnsItsLeaseIsLostAndItsLateReportIsRefused) {
  TestCluster cluster("sigstop");
  ChildProcess& frozen = cluster.StartWorker({"--name", "frozen"});
  const std::string id = cluster.ApplyAndStart(
      "name: stop\ntasks:\n  - {name: t, handler: sleep, config: {seconds: 3}}\n", "stop");
  ASSERT_TRUE(cluster.WaitForTaskState(id, "t", v1::TASK_RUN_STATE_RUNNING, absl::Seconds(20)));
  frozen.Signal(SIGSTOP);
  cluster.StartWorker({"--name", "rescuer"});
  ASSERT_TRUE(WaitUntil(absl::Seconds(20), [&] {
    auto run = cluster.GetRun(id);
    return run.ok() && !run->tasks(0).attempts().empty() &&
           run->tasks(0).attempts().rbegin()->worker_name() == "rescuer";
  }));
  frozen.Signal(SIGCONT);
  const v1::Run run = RunToEnd(cluster, id);
  EXPECT_EQ(run.state(), v1::FLOW_RUN_STATE_COMPLETED);
  // The attempt it had started expired. Its poll in flight may also have
  // been handed attempt 2 before anyone knew it was frozen: that one was
  // never acknowledged, so it ended UNDELIVERED (the delivery rule). Only
  // the rescuer's result was accepted.
  const auto& attempts = run.tasks(0).attempts();
  ASSERT_GE(attempts.size(), 2);
  EXPECT_EQ(attempts[0].worker_name(), "frozen");
  EXPECT_EQ(attempts[0].state(), v1::ATTEMPT_STATE_LEASE_EXPIRED);
  for (int i = 1; i < attempts.size(); ++i) {
    if (attempts[i].worker_name() == "frozen") {
      EXPECT_EQ(attempts[i].state(), v1::ATTEMPT_STATE_UNDELIVERED);
    }
  }
  EXPECT_EQ(attempts.rbegin()->worker_name(), "rescuer");
  EXPECT_EQ(attempts.rbegin()->state(), v1::ATTEMPT_STATE_SUCCEEDED);
  // The thawed worker stops its handler and its report is refused.
  EXPECT_TRUE(WaitUntil(absl::Seconds(10), [&] {
    return frozen.Log().find("completion refused") != std::string::npos;
  })) << frozen.Log();
  EXPECT_THAT(frozen.Log(), HasSubstr("is not current")) << frozen.Log();
  EXPECT_THAT(InvariantViolations(cluster.database_url()), IsEmpty());
}

constexpr char kGuardedFlow[] = R"(
name: guarded
parameters:
  q: {default: hello}
  primary_down: {default: false}
result: answer
tasks:
  - name: primary
    handler: course.primary_provider
    queue: flaky-host
    retry: {retries: 1, delay: 100ms}
    circuit_breaker: {key: guarded-api, failure_threshold: 2, window: 1m, cooldown: 3s}
    fallback: secondary
  - name: secondary
    handler: course.secondary_provider
    config: {latency_seconds: 0}
  - name: answer
    handler: course.answer
    depends_on: [primary]
)";

TEST(Resilience, BreakerOpenedByOneWorkerStopsLeasesToAllAndFallbackFeedsDownstream) {
  TestCluster cluster("breaker");
  cluster.StartWorker({"--name", "first", "--queue", "flaky-host", "--queue", "default"},
                      ExampleWorkerBinary());
  const std::string failing =
      cluster.ApplyAndStart(kGuardedFlow, "guarded", {"-p", "primary_down=true"});
  v1::Run run = RunToEnd(cluster, failing);
  EXPECT_EQ(run.state(), v1::FLOW_RUN_STATE_COMPLETED);
  EXPECT_EQ(json::parse(run.result_json()), json({{"answer", "secondary:hello"}}));
  EXPECT_EQ(FindTask(run, "primary")->attempts_size(), 2);
  EXPECT_THAT(cluster.Cli({"breaker", "list"}).out, HasSubstr("guarded-api  OPEN"));

  // A second worker serving the same queue is not leased the primary either.
  cluster.StartWorker({"--name", "second", "--queue", "flaky-host", "--queue", "default"},
                      ExampleWorkerBinary());
  run = RunToEnd(cluster, cluster.ApplyAndStart(kGuardedFlow, "guarded"));
  EXPECT_EQ(run.state(), v1::FLOW_RUN_STATE_COMPLETED);
  const v1::TaskRun* primary = FindTask(run, "primary");
  EXPECT_EQ(primary->attempts_size(), 0);
  EXPECT_EQ(primary->state(), v1::TASK_RUN_STATE_SKIPPED);
  EXPECT_THAT(primary->error(), HasSubstr("short-circuited"));
  EXPECT_EQ(json::parse(run.result_json()), json({{"answer", "secondary:hello"}}));
  bool breaker_in_history = false;
  for (const auto& h : run.history()) breaker_in_history |= h.breaker_key() == "guarded-api";
  EXPECT_TRUE(breaker_in_history);

  // After the cooldown exactly one probe runs; its success closes the breaker.
  absl::SleepFor(absl::Seconds(3));
  run = RunToEnd(cluster, cluster.ApplyAndStart(kGuardedFlow, "guarded"));
  EXPECT_EQ(json::parse(run.result_json()), json({{"answer", "primary:hello"}}));
  std::vector<std::string> moves;
  for (const auto& h : run.history()) {
    if (h.entity() == "breaker") moves.push_back(h.from_state() + "->" + h.to_state());
  }
  EXPECT_THAT(moves, ::testing::ElementsAre("OPEN->HALF_OPEN", "HALF_OPEN->CLOSED"));
  EXPECT_THAT(cluster.Cli({"breaker", "list"}).out, HasSubstr("guarded-api  CLOSED"));
  EXPECT_THAT(InvariantViolations(cluster.database_url()), IsEmpty());
}

TEST(Resilience, CourseFallbackExampleAndBreakerReset) {
  TestCluster cluster("course_breaker");
  cluster.StartWorker({}, ExampleWorkerBinary());
  const std::string id = StartExample(cluster, "03-resilience-patterns/flow.yaml",
                                      "fallback-with-circuit", {"primary_down=true"});
  v1::Run run = RunToEnd(cluster, id);
  EXPECT_EQ(json::parse(run.result_json()), json({{"answer", "secondary:hello"}}));
  EXPECT_THAT(FindTask(run, "primary")->resolution(), HasSubstr("fallback \"secondary\""));
  const json breakers = json::parse(cluster.Cli({"-o", "json", "breaker", "list"}).out);
  EXPECT_EQ(breakers["breakers"][0]["key"], "primary-provider");
  EXPECT_EQ(breakers["breakers"][0]["state"], "OPEN");
  EXPECT_EQ(breakers["breakers"][0]["failures"], 3);
  CliResult reset = cluster.Cli({"breaker", "reset", "primary-provider"});
  EXPECT_EQ(reset.exit_code, 0) << reset.err;
  run = RunToEnd(cluster, StartExample(cluster, "03-resilience-patterns/flow.yaml",
                                       "fallback-with-circuit", {}));
  EXPECT_EQ(json::parse(run.result_json()), json({{"answer", "primary:hello"}}));
  EXPECT_EQ(FindTask(run, "secondary")->state(), v1::TASK_RUN_STATE_SKIPPED);
  EXPECT_EQ(cluster.Cli({"breaker", "reset", "no-such-breaker"}).exit_code, 1);
}

TEST(Resilience, CancelReachesARunningExecProcess) {
  TestCluster cluster("cancel");
  cluster.StartWorker();
  const std::string pid_file = cluster.dir() + "/cancel.pid";
  const std::string id = cluster.ApplyAndStart(absl::StrCat(R"(
name: cancel-me
tasks:
  - name: long
    handler: exec
    config: {command: sh, args: ["-c", "echo $$ > )",
                                                            pid_file,
                                                            R"(; sleep 60"], kill_grace_seconds: 1}
  - {name: after, handler: noop, depends_on: [long]}
)"),
                                               "cancel-me");
  ASSERT_TRUE(WaitUntil(absl::Seconds(20), [&] { return ReadPid(pid_file) > 0; }));
  const pid_t pid = ReadPid(pid_file);
  CliResult cancelled = cluster.Cli({"run", "cancel", id, "--reason", "no longer needed"});
  ASSERT_EQ(cancelled.exit_code, 0) << cancelled.err;
  const v1::Run run = RunToEnd(cluster, id);
  EXPECT_EQ(run.state(), v1::FLOW_RUN_STATE_CANCELLED);
  EXPECT_EQ(run.cancel_reason(), "no longer needed");
  EXPECT_EQ(FindTask(run, "long")->state(), v1::TASK_RUN_STATE_CANCELLED);
  EXPECT_EQ(FindTask(run, "long")->attempts(0).state(), v1::ATTEMPT_STATE_CANCELLED);
  EXPECT_EQ(FindTask(run, "after")->state(), v1::TASK_RUN_STATE_CANCELLED);
  EXPECT_EQ(FindTask(run, "after")->attempts_size(), 0);
  EXPECT_TRUE(WaitUntil(absl::Seconds(5), [&] { return ProcessGone(pid); }));

  CliResult again = cluster.Cli({"run", "cancel", id});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT(again.err, HasSubstr("already ended CANCELLED"));
  EXPECT_THAT(InvariantViolations(cluster.database_url()), IsEmpty());
}

TEST(Resilience, FlowTimeoutStopsRunningAttemptsAndPendingTasks) {
  TestCluster cluster("flow_timeout");
  cluster.StartWorker();
  const std::string id = cluster.ApplyAndStart(R"(
name: too-slow
timeout: 1s
tasks:
  - {name: slow, handler: sleep, config: {seconds: 30}}
  - {name: never, handler: noop, depends_on: [slow]}
)",
                                               "too-slow");
  const v1::Run run = RunToEnd(cluster, id);
  EXPECT_EQ(run.state(), v1::FLOW_RUN_STATE_TIMED_OUT);
  EXPECT_THAT(run.error(), HasSubstr("flow timeout of 1s exceeded"));
  EXPECT_EQ(FindTask(run, "slow")->state(), v1::TASK_RUN_STATE_CANCELLED);
  EXPECT_EQ(FindTask(run, "never")->attempts_size(), 0);
  EXPECT_LT(TimeOf(run.ended_at()) - TimeOf(run.created_at()), absl::Seconds(10));
}

TEST(Resilience, TaskNotStartedInTimeTimesOutAndItsFallbackRuns) {
  TestCluster cluster("schedule_to_start");
  cluster.StartWorker();  // serves "default" only
  const std::string id = cluster.ApplyAndStart(R"(
name: nobody-home
tasks:
  - {name: stranded, handler: noop, queue: no-workers, schedule_to_start_timeout: 500ms, fallback: plan-b}
  - {name: plan-b, handler: noop}
  - {name: after, handler: noop, depends_on: [stranded]}
)",
                                               "nobody-home");
  const v1::Run run = RunToEnd(cluster, id);
  EXPECT_EQ(run.state(), v1::FLOW_RUN_STATE_COMPLETED);
  EXPECT_EQ(FindTask(run, "stranded")->state(), v1::TASK_RUN_STATE_TIMED_OUT);
  EXPECT_THAT(FindTask(run, "stranded")->error(), HasSubstr("schedule-to-start timeout"));
  EXPECT_EQ(FindTask(run, "plan-b")->state(), v1::TASK_RUN_STATE_COMPLETED);
  EXPECT_EQ(FindTask(run, "after")->state(), v1::TASK_RUN_STATE_COMPLETED);
}

}  // namespace
}  // namespace baton::testing
