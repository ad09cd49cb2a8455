// The delivery rule (README, "Reliability"): a lease reaches a live worker or
// goes back at once. A worker frozen (SIGSTOP) or stopping (SIGTERM) while
// its long-poll waits must not hold on to work: whatever was leased to it
// ends UNDELIVERED within the delivery timeout, without spending an attempt,
// and the task runs on a healthy worker. The heartbeat timeout here is long
// (30 s), so a lease that is only given up when it expires shows as a run
// that took far longer than the delivery timeout.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <chrono>
#include <iostream>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "baton/v1/run_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/invariants.h"
#include "tests/support/test_cluster.h"

namespace baton::testing {
namespace {

using ::testing::IsEmpty;

constexpr absl::Duration kDeliveryTimeout = absl::Seconds(2);
constexpr absl::Duration kHeartbeatTimeout = absl::Seconds(30);
// A reaper tick (200 ms), a poll waking on NOTIFY, a worker starting and a
// short task, with room for a loaded machine.
constexpr absl::Duration kMargin = absl::Seconds(3);

// No retry policy: a lost lease would still be retried (up to 3 attempts),
// but only after the heartbeat timeout.
constexpr char kOnce[] =
    "name: once\n"
    "tasks:\n"
    "  - {name: t, handler: sleep, config: {seconds: 0.2}}\n";

ClusterOptions DeliveryOptions() {
  ClusterOptions options;
  options.lease_duration = kHeartbeatTimeout;
  options.heartbeat_interval = absl::Seconds(1);
  options.extra_orchestrator_args = {
      "--delivery-timeout", absl::StrCat(absl::ToInt64Milliseconds(kDeliveryTimeout), "ms")};
  return options;
}

// True once worker `name` has polled after it registered: its poll touched
// the worker row. It then polls without pause while it has free slots.
bool HasPolled(const TestCluster& cluster, const std::string& name) {
  try {
    pqxx::connection conn(cluster.database_url());
    pqxx::read_transaction tx(conn);
    pqxx::result rows = tx.exec_params(
        "SELECT 1 FROM workers WHERE name = $1 AND stopped_at IS NULL"
        " AND last_seen_at > registered_at",
        name);
    return !rows.empty();
  } catch (const std::exception&) {
    return false;
  }
}

// Starts a run of `flow` straight through the API: no process to spawn, so
// the work is ready within milliseconds of the call.
std::string StartRun(const TestCluster& cluster, const std::string& flow) {
  auto stub = v1::RunService::NewStub(
      grpc::CreateChannel(cluster.address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::StartRunRequest request;
  request.set_flow_name(flow);
  v1::StartRunResponse response;
  const grpc::Status s = stub->StartRun(&ctx, request, &response);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return response.run().id();
}

// The run completed on `healthy`; every attempt before the last went to a
// worker in `gone` and ended UNDELIVERED; none expired.
void ExpectDeliveredOnlyTo(const v1::Run& run, const std::string& healthy,
                           const std::vector<std::string>& gone) {
  EXPECT_EQ(run.state(), v1::FLOW_RUN_STATE_COMPLETED) << run.DebugString();
  ASSERT_EQ(run.tasks_size(), 1);
  const v1::TaskRun& task = run.tasks(0);
  ASSERT_GE(task.attempts_size(), 1) << run.DebugString();
  for (const v1::Attempt& a : task.attempts()) {
    EXPECT_NE(a.state(), v1::ATTEMPT_STATE_LEASE_EXPIRED) << run.DebugString();
  }
  const v1::Attempt& last = task.attempts(task.attempts_size() - 1);
  EXPECT_EQ(last.state(), v1::ATTEMPT_STATE_SUCCEEDED) << run.DebugString();
  EXPECT_EQ(last.worker_name(), healthy) << run.DebugString();
  for (int i = 0; i + 1 < task.attempts_size(); ++i) {
    const v1::Attempt& a = task.attempts(i);
    EXPECT_EQ(a.state(), v1::ATTEMPT_STATE_UNDELIVERED) << run.DebugString();
    EXPECT_THAT(gone, ::testing::Contains(a.worker_name())) << run.DebugString();
  }
}

TEST(Delivery, FrozenPollerDoesNotHoldTheTask) {
  TestCluster cluster("frozen_poller", DeliveryOptions());
  ASSERT_EQ(cluster.Cli({"flow", "apply", "-f", cluster.WriteFile("once.yaml", kOnce)}).exit_code,
            0);
  ChildProcess& frozen = cluster.StartWorker({"--name", "frozen", "--slots", "1"});
  ASSERT_TRUE(WaitUntil(absl::Seconds(15), [&] { return HasPolled(cluster, "frozen"); }))
      << frozen.Log();
  frozen.Signal(SIGSTOP);  // its waiting poll stays open: the kernel keeps the connection

  const absl::Time started = absl::Now();
  const std::string run_id = StartRun(cluster, "once");
  ASSERT_FALSE(run_id.empty());
  cluster.StartWorker({"--name", "healthy", "--slots", "1"});
  auto run = cluster.WaitForRunEnd(run_id, kHeartbeatTimeout + absl::Seconds(15));
  const absl::Duration took = absl::Now() - started;
  ASSERT_TRUE(run.ok()) << run.status();
  std::cout << "run ended " << absl::FormatDuration(took) << " after it started, with "
            << run->tasks(0).attempts_size() << " attempt(s)\n";
  ExpectDeliveredOnlyTo(*run, "healthy", {"frozen"});
  EXPECT_LE(took, kDeliveryTimeout + kMargin) << run->DebugString();

  // Thawed, the frozen worker finds its lease gone and runs nothing.
  const bool was_leased = run->tasks(0).attempts_size() > 1;
  frozen.Signal(SIGCONT);
  if (was_leased) {
    EXPECT_TRUE(WaitUntil(absl::Seconds(10), [&] {
      return absl::StrContains(frozen.Log(), "not taken");
    })) << frozen.Log();
  }
  EXPECT_FALSE(absl::StrContains(frozen.Log(), "sleep started")) << frozen.Log();
  auto after = cluster.GetRun(run_id);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->tasks(0).attempts_size(), run->tasks(0).attempts_size());
  EXPECT_THAT(InvariantViolations(cluster.database_url()), IsEmpty());
}

// The flow `once` on a queue of its own.
std::string OnceOnQueue(const std::string& queue) {
  return absl::StrCat("name: once-", queue, "\n", "tasks:\n",
                      "  - {name: t, handler: sleep, config: {seconds: 0.2}, queue: ", queue,
                      "}\n");
}

TEST(Delivery, StoppingPollersAreHandedNothingTheyKeep) {
  TestCluster cluster("stopping_pollers", DeliveryOptions());
  constexpr int kTries = 5;
  std::vector<std::string> run_ids;
  std::vector<std::string> gone;
  std::vector<std::string> healthy_args = {"--name", "healthy", "--slots", "2"};
  for (int i = 0; i < kTries; ++i) {
    // Each try on a queue of its own: the work of earlier tries, still
    // waiting for a healthy worker, is not this worker's to take.
    const std::string queue = absl::StrCat("q", i);
    const std::string flow = "once-" + queue;
    ASSERT_EQ(
        cluster.Cli({"flow", "apply", "-f", cluster.WriteFile(flow + ".yaml", OnceOnQueue(queue))})
            .exit_code,
        0);
    const std::string name = absl::StrCat("leaving", i);
    ChildProcess& leaving = cluster.StartWorker({"--name", name, "--slots", "1", "--queue", queue});
    ASSERT_TRUE(WaitUntil(absl::Seconds(15), [&] { return HasPolled(cluster, name); }))
        << leaving.Log();
    // A rolling restart: SIGTERM while the poll waits, work ready the moment
    // the worker begins to drain.
    leaving.Signal(SIGTERM);
    ASSERT_TRUE(WaitUntil(absl::Seconds(5), [&] {
      return absl::StrContains(leaving.Log(), "draining");
    })) << leaving.Log();
    run_ids.push_back(StartRun(cluster, flow));
    ASSERT_TRUE(leaving.WaitExit(absl::Seconds(15)).has_value()) << leaving.Log();
    gone.push_back(name);
    healthy_args.insert(healthy_args.end(), {"--queue", queue});
  }

  const absl::Time healthy_started = absl::Now();
  cluster.StartWorker(healthy_args);
  int redelivered = 0;
  for (const std::string& run_id : run_ids) {
    auto run = cluster.WaitForRunEnd(run_id, kHeartbeatTimeout + absl::Seconds(15));
    ASSERT_TRUE(run.ok()) << run.status();
    ExpectDeliveredOnlyTo(*run, "healthy", gone);
    redelivered += run->tasks(0).attempts_size() - 1;
  }
  const absl::Duration took = absl::Now() - healthy_started;
  std::cout << kTries << " runs started as their worker stopped: " << redelivered
            << " lease(s) went to a stopping worker; all runs ended " << absl::FormatDuration(took)
            << " after a healthy worker started\n";
  EXPECT_LE(took, kDeliveryTimeout + kMargin);
  EXPECT_THAT(InvariantViolations(cluster.database_url()), IsEmpty());
}

}  // namespace
}  // namespace baton::testing
