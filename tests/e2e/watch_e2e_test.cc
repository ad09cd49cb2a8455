// `baton run watch` and `baton run start --watch`: a run followed live over
// the WatchRun stream, its state changes in order, then the finished run and
// the exit code of --wait.
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_cluster.h"

namespace baton::testing {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kTwoTasks = R"(
name: two-steps
tasks:
  - {name: first, handler: sleep, config: {seconds: 1}}
  - {name: second, handler: noop, depends_on: [first]}
)";

constexpr const char* kFailing = R"(
name: failing
tasks:
  - name: broken
    handler: exec
    config: {command: sh, args: ["-c", "exit 3"]}
)";

// The index of the first line at or after `from` holding every one of `parts`;
// npos when none does.
size_t FindLine(const std::vector<std::string>& lines, size_t from,
                const std::vector<std::string>& parts) {
  for (size_t i = from; i < lines.size(); ++i) {
    bool all = true;
    for (const auto& p : parts) all = all && lines[i].find(p) != std::string::npos;
    if (all) return i;
  }
  return std::string::npos;
}

class WatchEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(
        cluster_.Cli({"flow", "apply", "-f", cluster_.WriteFile("two.yaml", kTwoTasks)}).exit_code,
        0);
    ASSERT_EQ(
        cluster_.Cli({"flow", "apply", "-f", cluster_.WriteFile("fail.yaml", kFailing)}).exit_code,
        0);
  }

  std::string StartRun(const std::string& flow) {
    CliResult started = cluster_.Cli({"-o", "json", "run", "start", flow});
    EXPECT_EQ(started.exit_code, 0) << started.err;
    return json::parse(started.out)["run"]["id"].get<std::string>();
  }

  TestCluster cluster_{"watch"};
};

TEST_F(WatchEndToEnd, WatchFromTheStartPrintsTaskTransitionsInOrderThenTheCompletedRun) {
  const std::string id = StartRun("two-steps");  // no worker yet: nothing has run
  cluster_.StartWorker({"--slots", "2"});
  const absl::Time began = absl::Now();
  CliResult watched = cluster_.Cli({"run", "watch", id});
  ASSERT_EQ(watched.exit_code, 0) << watched.err << watched.out;
  EXPECT_GE(absl::Now() - began, absl::Seconds(1)) << "the watch lasts while the run does";
  const std::vector<std::string> lines = absl::StrSplit(watched.out, '\n');
  size_t at = 0;
  for (const std::vector<std::string>& change :
       std::vector<std::vector<std::string>>{{"task", "first", "READY -> RUNNING"},
                                             {"task", "first", "RUNNING -> COMPLETED"},
                                             {"task", "second", "READY -> RUNNING"},
                                             {"task", "second", "RUNNING -> COMPLETED"},
                                             {"run", "RUNNING -> COMPLETED"}}) {
    at = FindLine(lines, at, change);
    ASSERT_NE(at, std::string::npos)
        << "missing in order: " << change.back() << " of " << change[1] << "\n"
        << watched.out;
  }
  // Then the finished run, as `run get` prints it.
  EXPECT_NE(FindLine(lines, at, {"run " + id, "two-steps", "COMPLETED"}), std::string::npos)
      << watched.out;
  EXPECT_NE(FindLine(lines, at, {"second", "COMPLETED"}), std::string::npos) << watched.out;
}

TEST_F(WatchEndToEnd, StartWithWatchExitsZeroAndJsonIsOneEventPerLine) {
  cluster_.StartWorker({"--slots", "2"});
  CliResult watched = cluster_.Cli({"-o", "json", "run", "start", "two-steps", "--watch"});
  ASSERT_EQ(watched.exit_code, 0) << watched.err << watched.out;
  std::vector<json> events;
  for (absl::string_view line : absl::StrSplit(watched.out, '\n', absl::SkipEmpty())) {
    events.push_back(json::parse(std::string(line)));
  }
  ASSERT_GE(events.size(), 5u) << watched.out;
  int64_t last_id = 0;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    ASSERT_TRUE(events[i].contains("transition")) << events[i];
    const int64_t transition_id = std::stoll(events[i]["transition_id"].get<std::string>());
    EXPECT_GT(transition_id, last_id) << "events come in transition order";
    last_id = transition_id;
  }
  EXPECT_EQ(events.back()["run"]["state"], "FLOW_RUN_STATE_COMPLETED");
  EXPECT_EQ(events.back()["run"]["tasks"].size(), 2u);
}

TEST_F(WatchEndToEnd, WatchingAFinishedRunPrintsItsHistoryAndEndsAtOnce) {
  cluster_.StartWorker({"--slots", "2"});
  const std::string id = StartRun("two-steps");
  ASSERT_TRUE(cluster_.WaitForRunEnd(id, absl::Seconds(30)).ok());
  const absl::Time began = absl::Now();
  CliResult watched = cluster_.Cli({"run", "watch", id});
  EXPECT_LT(absl::Now() - began, absl::Seconds(3)) << "no waiting on an ended run";
  ASSERT_EQ(watched.exit_code, 0) << watched.err;
  const std::vector<std::string> lines = absl::StrSplit(watched.out, '\n');
  EXPECT_NE(FindLine(lines, 0, {"task", "first", "READY -> RUNNING"}), std::string::npos)
      << watched.out;
  EXPECT_NE(FindLine(lines, 0, {"run", "RUNNING -> COMPLETED"}), std::string::npos) << watched.out;
}

TEST_F(WatchEndToEnd, FailingRunExitsThree) {
  cluster_.StartWorker();
  CliResult watched = cluster_.Cli({"run", "start", "failing", "--watch"});
  EXPECT_EQ(watched.exit_code, 3) << watched.err << watched.out;
  EXPECT_THAT(watched.out, HasSubstr("RUNNING -> FAILED"));
  EXPECT_THAT(watched.out, HasSubstr("FAILED"));
}

TEST_F(WatchEndToEnd, UnknownAndMalformedIdsAreRefused) {
  CliResult unknown = cluster_.Cli({"run", "watch", "0b9c6f1e-2d3a-4c5b-8e7f-112233445566"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("NOT_FOUND"));
  EXPECT_THAT(unknown.out, Not(HasSubstr("->")));
  CliResult malformed = cluster_.Cli({"run", "watch", "not-a-run"});
  EXPECT_EQ(malformed.exit_code, 1);
  EXPECT_THAT(malformed.err, HasSubstr("INVALID_ARGUMENT"));
}

}  // namespace
}  // namespace baton::testing
