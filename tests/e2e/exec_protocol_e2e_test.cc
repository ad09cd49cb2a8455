// `exec` for other languages (README, "Handlers"), with a real Python
// script on a real worker: its print() output reaches `run logs --follow`
// while it runs (the worker sets PYTHONUNBUFFERED; a pipe would otherwise
// hold the lines until exit), and the error it reports on its last stderr
// line is the attempt's error type, so a retry policy's
// non_retryable_errors honours a Python ValueError.
#include <sys/wait.h>

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/invariants.h"
#include "tests/support/test_cluster.h"

namespace baton::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kTalkingPython[] = R"yaml(
name: py-talk
tasks:
  - name: talk
    handler: exec
    config:
      command: /usr/bin/python3
      args: ["-c", "import time\nprint('first')\ntime.sleep(3)\nprint('last')\nprint('{}')"]
)yaml";

TEST(ExecProtocol, PythonPrintReachesFollowWhileTheScriptRuns) {
  TestCluster cluster("exec_print");
  cluster.StartWorker();
  const std::string id = cluster.ApplyAndStart(kTalkingPython, "py-talk");
  ASSERT_TRUE(cluster.WaitForTaskState(id, "talk", v1::TASK_RUN_STATE_RUNNING, absl::Seconds(20)));
  ChildProcess follow({CliBinary(), "--address", cluster.address(), "run", "logs", id, "--follow"},
                      cluster.dir() + "/follow.log");
  ASSERT_TRUE(WaitUntil(absl::Seconds(10), [&] {
    return follow.Log().find("first") != std::string::npos;
  })) << follow.Log();
  auto during = cluster.GetRun(id);
  ASSERT_TRUE(during.ok()) << during.status();
  EXPECT_EQ(during->state(), v1::FLOW_RUN_STATE_RUNNING)
      << "the script ended before 'first' showed";
  EXPECT_EQ(follow.Log().find("last"), std::string::npos) << follow.Log();
  std::optional<int> status = follow.WaitExit(absl::Seconds(30));
  ASSERT_TRUE(status.has_value()) << follow.Log();
  EXPECT_THAT(follow.Log(), ContainsRegex("first(.|\n)*last"));
}

// A script that raises ValueError and reports it; the policy would retry
// anything else three times.
constexpr char kFailingPython[] = R"(
name: py-fail
tasks:
  - name: parse
    handler: exec
    retry: {retries: 3, delay: 100ms, non_retryable_errors: [ValueError]}
    config:
      command: /usr/bin/python3
      args:
        - "-c"
        - |
          import json, sys
          try:
              int("ten")
          except Exception as e:
              print(json.dumps({"baton_error": {"type": type(e).__name__, "message": str(e)}}), file=sys.stderr)
              sys.exit(1)
)";

TEST(ExecProtocol, ReportedValueErrorIsHonouredAsNonRetryable) {
  TestCluster cluster("exec_error");
  cluster.StartWorker();
  const std::string id = cluster.ApplyAndStart(kFailingPython, "py-fail");
  auto run = cluster.WaitForRunEnd(id, absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->state(), v1::FLOW_RUN_STATE_FAILED) << run->DebugString();
  const v1::TaskRun& parse = run->tasks(0);
  ASSERT_EQ(parse.attempts_size(), 1) << run->DebugString();
  EXPECT_EQ(parse.attempts(0).error_type(), "ValueError");
  EXPECT_THAT(parse.attempts(0).error(),
              HasSubstr("invalid literal for int() with base 10: 'ten' (exec: command "
                        "\"/usr/bin/python3\" exited with code 1)"));
  EXPECT_THAT(InvariantViolations(cluster.database_url()), IsEmpty());
}

}  // namespace
}  // namespace baton::testing
