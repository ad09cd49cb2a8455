// Processes of a worker: an `exec` task's whole process group dies with its
// worker however the worker dies, and a worker restarted under the same name
// is a new session that the old attempt's lease does not follow.
#include <signal.h>

#include <filesystem>
#include <string>

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

using ::testing::IsEmpty;

// Seconds after it starts at which an attempt's processes write their
// markers (the `sleep 3`s of kMarkerScript).
constexpr int kMarkerSeconds = 3;

// Attempt N works in $1/attempt-N: once its background job is started it
// writes its pid, then the shell (after its child `sleep`) and the job (a
// subshell, after its own `sleep`) each write a marker.
constexpr char kMarkerScript[] =
    R"(d="$1/attempt-$BATON_ATTEMPT"; mkdir -p "$d"; (sleep 3; touch "$d/job") & )"
    R"(echo $$ > "$d/pid"; sleep 3; touch "$d/command"; wait; echo '{"done": true}')";

// One exec task running kMarkerScript with `dir` as $1.
std::string MarkerFlow(const std::string& dir) {
  const nlohmann::json args = nlohmann::json::array({"-c", kMarkerScript, "sh", dir});
  return absl::StrCat("name: markers\ntasks:\n  - name: work\n    handler: exec\n",
                      "    config: {command: sh, args: ", args.dump(), "}\n");
}

bool AnyMarker(const std::string& attempt_dir) {
  return std::filesystem::exists(attempt_dir + "/command") ||
         std::filesystem::exists(attempt_dir + "/job");
}

TEST(Processes, ExecGroupDiesWithASigkilledWorkerAndARestartIsANewSession) {
  TestCluster cluster("exec_group");
  ChildProcess& doomed = cluster.StartWorker({"--name", "w", "--slots", "1"});
  const std::string dir = cluster.dir() + "/markers";
  std::filesystem::create_directories(dir);
  const std::string run_id = cluster.ApplyAndStart(MarkerFlow(dir), "markers");
  const std::string first = dir + "/attempt-1";

  // Attempt 1 runs: its shell, job and their sleeps are up.
  ASSERT_TRUE(WaitUntil(absl::Seconds(20), [&] { return !ReadFile(first + "/pid").empty(); }));
  const absl::Time started = absl::Now();
  const pid_t group = ProcessGroupOf(std::stoi(ReadFile(first + "/pid")));
  ASSERT_GT(group, 0);
  ASSERT_TRUE(WaitUntil(absl::Seconds(2), [&] { return LiveProcessesInGroup(group).size() >= 4; }));

  doomed.Signal(SIGKILL);
  ASSERT_TRUE(doomed.WaitExit(absl::Seconds(5)));
  EXPECT_TRUE(WaitUntil(absl::Seconds(1), [&] { return LiveProcessesInGroup(group).empty(); }))
      << LiveProcessesInGroup(group).size() << " processes of the group still run";
  // The same name again at once: a new registration, while attempt 1's lease
  // still runs.
  cluster.StartWorker({"--name", "w", "--slots", "1"});

  // Past the time attempt 1's markers were due, none was written.
  EXPECT_FALSE(WaitUntil(started + absl::Seconds(kMarkerSeconds + 1) - absl::Now(),
                         [&] { return AnyMarker(first); }));
  EXPECT_THAT(LiveProcessesInGroup(group), IsEmpty());

  auto run = cluster.WaitForRunEnd(run_id, absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->state(), v1::FLOW_RUN_STATE_COMPLETED);
  const v1::TaskRun* work = FindTask(*run, "work");
  ASSERT_NE(work, nullptr);
  ASSERT_EQ(work->attempts_size(), 2);
  // The restarted worker never renewed nor completed the old lease: it
  // expired, and attempt 2 ran under the new session's own worker id.
  const v1::Attempt& lost = work->attempts(0);
  const v1::Attempt& rerun = work->attempts(1);
  EXPECT_EQ(lost.state(), v1::ATTEMPT_STATE_LEASE_EXPIRED);
  EXPECT_EQ(rerun.state(), v1::ATTEMPT_STATE_SUCCEEDED);
  EXPECT_EQ(lost.worker_name(), "w");
  EXPECT_EQ(rerun.worker_name(), "w");
  EXPECT_FALSE(lost.worker_id().empty());
  EXPECT_NE(rerun.worker_id(), lost.worker_id());
  // Left to run, an attempt does write its markers (attempt 2 did).
  EXPECT_TRUE(std::filesystem::exists(dir + "/attempt-2/command"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/attempt-2/job"));
  EXPECT_FALSE(AnyMarker(first));
  EXPECT_THAT(InvariantViolations(cluster.database_url()), IsEmpty());
}

}  // namespace
}  // namespace baton::testing
