// Attempt logs end to end: exec stdout/stderr and handler log calls shipped
// by real workers, stored by the orchestrator, read back with `baton run
// logs` (text, JSON, CSV; by task; following a live run), bounded per
// attempt, and secret values absent from every output.
#include <sys/wait.h>

#include <set>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_cluster.h"

namespace baton::testing {
namespace {

using ::nlohmann::json;
using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "hunter2-0xC0FFEE";

// `talk` prints to both streams (the secret among them); `leak` fails with
// the secret in its stderr, so it reaches the attempt's error message too.
constexpr char kTalkFlow[] = R"(
name: talk
tasks:
  - name: talk
    handler: exec
    config:
      command: sh
      args: ["-c", 'echo "token is $API_TOKEN"; echo "warming up" >&2; for i in 1 2 3; do echo "line $i"; done; echo "{\"ok\": true}"']
  - name: leak
    handler: exec
    depends_on: [talk]
    config:
      command: sh
      args: ["-c", 'echo "denied for $API_TOKEN" >&2; exit 3']
)";

constexpr char kTalkDeployment[] = R"(
name: talk-now
flow: talk
env:
  API_TOKEN: {value: hunter2-0xC0FFEE, secret: true}
  STAGE: test
)";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out = absl::StrSplit(text, '\n', absl::SkipEmpty());
  return out;
}

// Applies the talk flow and deployment, runs it, waits for the end.
std::string RunTalk(TestCluster& cluster) {
  const std::string id = cluster.ApplyAndRunDeployment(kTalkFlow, kTalkDeployment, "talk-now");
  auto run = cluster.WaitForRunEnd(id, absl::Seconds(60));
  EXPECT_TRUE(run.ok()) << run.status();
  return id;
}

TEST(Logs, ExecOutputIsShippedInOrderWithSecretsMaskedEverywhere) {
  TestCluster cluster("logs_exec");
  ChildProcess& worker = cluster.StartWorker({"--log-level", "debug"});
  const std::string id = RunTalk(cluster);

  CliResult logs = cluster.Cli({"run", "logs", id});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  const std::vector<std::string> lines = Lines(logs.out);
  // talk's five lines in the order written (stdout lines relative to each
  // other), then leak's one.
  std::vector<std::string> talk_stdout;
  for (const std::string& l : lines) {
    if (l.find("talk #1") != std::string::npos && l.find("stdout") != std::string::npos) {
      talk_stdout.push_back(l.substr(l.rfind("stdout  ") + 8));
    }
  }
  EXPECT_THAT(talk_stdout, ::testing::ElementsAre("token is ***", "line 1", "line 2", "line 3",
                                                  "{\"ok\": true}"));
  EXPECT_THAT(logs.out, ContainsRegex("talk #1  INFO  stderr  warming up"));
  EXPECT_THAT(logs.out, ContainsRegex("leak #1  INFO  stderr  denied for \\*\\*\\*"));
  EXPECT_THAT(logs.out, ContainsRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z  talk #1"));

  // One task only.
  CliResult leak = cluster.Cli({"run", "logs", id, "--task", "leak"});
  ASSERT_EQ(leak.exit_code, 0) << leak.err;
  EXPECT_EQ(Lines(leak.out).size(), 1u) << leak.out;
  CliResult missing = cluster.Cli({"run", "logs", id, "--task", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("has no task named \"nope\""));

  // The secret is nowhere: logs in every format, the run, the attempt's
  // error, the worker's own log (exec lines at debug level), the orchestrator's.
  CliResult shown = cluster.Cli({"-o", "json", "run", "get", id});
  ASSERT_EQ(shown.exit_code, 0);
  const json run = json::parse(shown.out);
  EXPECT_THAT(run["tasks"][1]["attempts"][0]["error"].get<std::string>(),
              HasSubstr("denied for ***"));
  for (const char* format : {"table", "json", "csv", "markdown"}) {
    CliResult out = cluster.Cli({"-o", format, "run", "logs", id});
    EXPECT_EQ(out.exit_code, 0) << format;
    EXPECT_THAT(out.out, AllOf(HasSubstr("***"), Not(HasSubstr(kSecret)))) << format;
  }
  EXPECT_THAT(shown.out, Not(HasSubstr(kSecret)));
  EXPECT_THAT(cluster.Cli({"-o", "markdown", "run", "get", id}).out, Not(HasSubstr(kSecret)));
  EXPECT_THAT(worker.Log(), AllOf(HasSubstr("token is ***"), Not(HasSubstr(kSecret))));
  EXPECT_THAT(cluster.orchestrator().Log(), Not(HasSubstr(kSecret)));
}

TEST(Logs, JsonAndCsvParseBackAndHandlerLogCallsAreShipped) {
  TestCluster cluster("logs_formats");
  cluster.StartWorker({}, ExampleWorkerBinary());
  const std::string flow = SourceDir() + "/examples/01-basic-flow/flow.yaml";
  ASSERT_EQ(cluster.Cli({"flow", "apply", "-f", flow}).exit_code, 0);
  CliResult started =
      cluster.Cli({"-o", "json", "run", "start", "basic-etl", "--wait", "--wait-timeout", "60s"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  const std::string id = json::parse(started.out)["id"];

  CliResult as_json = cluster.Cli({"-o", "json", "run", "logs", id});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  std::vector<json> entries;
  for (const std::string& line : Lines(as_json.out)) entries.push_back(json::parse(line));
  ASSERT_GE(entries.size(), 3u) << as_json.out;  // each ETL handler logs
  int64_t previous_id = 0;
  std::set<std::string> tasks;
  for (const json& e : entries) {
    EXPECT_GT(std::stoll(e["id"].get<std::string>()), previous_id);
    previous_id = std::stoll(e["id"].get<std::string>());
    EXPECT_EQ(e["line"]["stream"], "log");
    EXPECT_EQ(e["line"]["level"], "info");
    EXPECT_FALSE(e["worker_id"].get<std::string>().empty());
    tasks.insert(e["task_name"]);
  }
  EXPECT_EQ(tasks, (std::set<std::string>{"extract", "transform", "load"}));

  CliResult transform = cluster.Cli({"-o", "json", "run", "logs", id, "--task", "transform"});
  ASSERT_EQ(transform.exit_code, 0);
  EXPECT_THAT(transform.out, HasSubstr("transformed 5 items by a factor of 2"));

  CliResult csv = cluster.Cli({"-o", "csv", "run", "logs", id});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const std::vector<std::string> rows = Lines(csv.out);
  ASSERT_EQ(rows.size(), entries.size() + 1);
  EXPECT_EQ(rows[0], "id,time,task,attempt,stream,level,message");
  const std::vector<std::string> first = absl::StrSplit(rows[1], absl::MaxSplits(',', 6));
  ASSERT_EQ(first.size(), 7u);
  EXPECT_EQ(first[0], entries[0]["id"].get<std::string>());
  EXPECT_EQ(first[2], entries[0]["task_name"].get<std::string>());
  EXPECT_EQ(first[4], "log");
}

// A task that writes, waits, and writes again: `run logs --follow` started
// while it runs prints both and exits once the run has ended.
constexpr char kSlowFlow[] = R"(
name: slow-talk
tasks:
  - name: slow
    handler: exec
    config:
      command: sh
      args: ["-c", 'echo first; sleep 2; echo last; echo "{}"']
)";

TEST(Logs, FollowPrintsLinesAsTheyComeUntilTheRunEnds) {
  TestCluster cluster("logs_follow");
  cluster.StartWorker();
  const std::string id = cluster.ApplyAndStart(kSlowFlow, "slow-talk");
  ASSERT_TRUE(cluster.WaitForTaskState(id, "slow", v1::TASK_RUN_STATE_RUNNING, absl::Seconds(20)));
  ChildProcess follow({CliBinary(), "--address", cluster.address(), "run", "logs", id, "--follow"},
                      cluster.dir() + "/follow.log");
  // "first" arrives while the task still sleeps: the follower prints it live.
  ASSERT_TRUE(WaitUntil(absl::Seconds(10), [&] {
    return follow.Log().find("first") != std::string::npos;
  })) << follow.Log();
  auto during = cluster.GetRun(id);
  ASSERT_TRUE(during.ok());
  EXPECT_EQ(during->state(), v1::FLOW_RUN_STATE_RUNNING);
  EXPECT_EQ(follow.Log().find("last"), std::string::npos);
  std::optional<int> status = follow.WaitExit(absl::Seconds(30));
  ASSERT_TRUE(status.has_value()) << follow.Log();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << follow.Log();
  EXPECT_THAT(follow.Log(), ContainsRegex("first(.|\n)*last"));
  auto after = cluster.GetRun(id);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->state(), v1::FLOW_RUN_STATE_COMPLETED);
}

constexpr char kChattyFlow[] = R"(
name: chatty
tasks:
  - name: chatty
    handler: exec
    config:
      command: sh
      args: ["-c", 'i=0; while [ $i -lt 3000 ]; do echo "line $i"; i=$((i+1)); done; echo "{}"']
)";

TEST(Logs, AnAttemptKeepsAtMostItsBoundAndSaysHowManyWereDropped) {
  TestCluster cluster("logs_bound");
  cluster.StartWorker();
  const std::string id = cluster.ApplyAndStart(kChattyFlow, "chatty");
  auto run = cluster.WaitForRunEnd(id, absl::Seconds(60));
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_EQ(run->state(), v1::FLOW_RUN_STATE_COMPLETED);
  const v1::Attempt& attempt = run->tasks(0).attempts(0);
  EXPECT_EQ(attempt.log_lines(), 2000);
  EXPECT_EQ(attempt.log_lines_dropped(), 1001);  // 3000 lines and the result line, 2000 kept
  CliResult logs = cluster.Cli({"run", "logs", id});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  const std::vector<std::string> lines = Lines(logs.out);
  ASSERT_EQ(lines.size(), 2001u);  // the kept lines and one marker
  EXPECT_THAT(lines[0], HasSubstr("line 0"));
  EXPECT_THAT(lines[1999], HasSubstr("line 1999"));
  EXPECT_THAT(lines[2000], HasSubstr("lines were dropped"));
}

}  // namespace
}  // namespace baton::testing
