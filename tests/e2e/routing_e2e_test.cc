// Routing by handler (README, "Workers"): a worker is leased only tasks whose
// handler it registered, on its queues. Here baton-worker (built-in handlers
// only) and baton-example-worker (the course's handlers too) share the queue
// "default". A task whose handler no online worker serves waits READY — not
// failed as an unknown handler — and `run get` says what it waits for; once
// a worker serving it comes, it runs there.
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/invariants.h"
#include "tests/support/test_cluster.h"

namespace baton::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kMixed[] =
    "name: mixed\n"
    "parameters:\n"
    "  items: {default: [1, 2]}\n"
    "tasks:\n"
    "  - {name: first, handler: noop}\n"
    "  - {name: extract, handler: etl.extract, depends_on: [first],"
    " config: {io_seconds: 0.1}}\n";

constexpr char kMissing[] = "no online worker serves handler \"etl.extract\" on queue \"default\"";

TEST(Routing, TaskWaitsVisiblyForAWorkerServingItsHandler) {
  TestCluster cluster("routing");
  ChildProcess& builtins = cluster.StartWorker({"--name", "builtins", "--slots", "2"});
  const std::string run_id = cluster.ApplyAndStart(kMixed, "mixed");
  ASSERT_FALSE(run_id.empty());

  // `first` runs on the built-in worker; `extract` becomes READY and stays so.
  ASSERT_TRUE(
      cluster.WaitForTaskState(run_id, "extract", v1::TASK_RUN_STATE_READY, absl::Seconds(20)))
      << builtins.Log();
  absl::SleepFor(absl::Seconds(2));  // several polls of the built-in worker
  auto waiting = cluster.GetRun(run_id);
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  const v1::TaskRun* extract = FindTask(*waiting, "extract");
  ASSERT_NE(extract, nullptr);
  EXPECT_EQ(extract->state(), v1::TASK_RUN_STATE_READY) << waiting->DebugString();
  EXPECT_EQ(extract->attempts_size(), 0) << waiting->DebugString();
  EXPECT_EQ(extract->waiting_for(), kMissing);
  EXPECT_EQ(FindTask(*waiting, "first")->waiting_for(), "");
  const CliResult shown = cluster.Cli({"run", "get", run_id});
  EXPECT_EQ(shown.exit_code, 0) << shown.out;
  EXPECT_THAT(shown.out, HasSubstr(std::string("extract: waiting: ") + kMissing));

  cluster.StartWorker({"--name", "course", "--slots", "2"}, ExampleWorkerBinary());
  auto run = cluster.WaitForRunEnd(run_id, absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->state(), v1::FLOW_RUN_STATE_COMPLETED) << run->DebugString();
  extract = FindTask(*run, "extract");
  ASSERT_EQ(extract->attempts_size(), 1) << run->DebugString();
  EXPECT_EQ(extract->attempts(0).worker_name(), "course");
  EXPECT_EQ(extract->waiting_for(), "");
  EXPECT_FALSE(absl::StrContains(builtins.Log(), "etl.extract")) << builtins.Log();
  EXPECT_THAT(InvariantViolations(cluster.database_url()), IsEmpty());
}

}  // namespace
}  // namespace baton::testing
