// Run metadata one command away: correlation ids through handlers, exec
// commands and every log line; JSON log lines.
#include <sstream>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_cluster.h"

namespace baton::testing {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;

constexpr char kEchoFlow[] = R"(
name: echo-trace
tasks:
  - name: echo
    handler: exec
    config:
      command: sh
      args: ["-c", 'printf ''{"correlation": "%s", "task": "%s", "attempt": "%s", "scheduled": "%s"}\n'' "$BATON_CORRELATION_ID" "$BATON_TASK_NAME" "$BATON_ATTEMPT" "$BATON_SCHEDULED_TIME"']
)";

// Every line of `log` that parses as a JSON object.
std::vector<json> JsonLines(const std::string& log) {
  std::vector<json> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    json parsed = json::parse(line, nullptr, false);
    if (!parsed.is_discarded() && parsed.is_object()) lines.push_back(parsed);
  }
  return lines;
}

TEST(Observability, CorrelationIdReachesExecCommandsAndEveryLogLine) {
  ClusterOptions options;
  options.extra_orchestrator_args = {"--log-format", "json"};
  TestCluster cluster("correlation", options);
  ChildProcess& worker = cluster.StartWorker({"--log-format", "json"});
  const std::string id =
      cluster.ApplyAndStart(kEchoFlow, "echo-trace", {"--correlation-id", "trace-2026-abc"});
  auto run = cluster.WaitForRunEnd(id, absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->state(), v1::FLOW_RUN_STATE_COMPLETED);
  EXPECT_EQ(run->correlation_id(), "trace-2026-abc");
  // A run started by hand was "scheduled" when it was submitted.
  const std::string submitted =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ",
                       absl::FromUnixSeconds(run->created_at().seconds()) +
                           absl::Nanoseconds(run->created_at().nanos()),
                       absl::UTCTimeZone());
  EXPECT_EQ(json::parse(run->tasks(0).result_json()), json({{"correlation", "trace-2026-abc"},
                                                            {"task", "echo"},
                                                            {"attempt", "1"},
                                                            {"scheduled", submitted}}));

  // Worker lines about the attempt carry run, task, attempt and correlation id.
  int worker_lines = 0;
  for (const json& line : JsonLines(worker.Log())) {
    if (line.value("run", "") != id) continue;
    ++worker_lines;
    EXPECT_EQ(line["correlation_id"], "trace-2026-abc");
    EXPECT_EQ(line["task"], "echo");
    EXPECT_EQ(line["attempt"], "1");
    EXPECT_TRUE(line.contains("time") && line.contains("level") && line.contains("message"));
  }
  EXPECT_GE(worker_lines, 2) << worker.Log();  // started, succeeded
  bool orchestrator_line = false;
  for (const json& line : JsonLines(cluster.orchestrator().Log())) {
    orchestrator_line |=
        line.value("run", "") == id && line.value("correlation_id", "") == "trace-2026-abc";
  }
  EXPECT_TRUE(orchestrator_line) << cluster.orchestrator().Log();
}

TEST(Observability, CorrelationIdIsGeneratedWhenNotGivenAndBadOnesAreRefused) {
  TestCluster cluster("generated");
  cluster.StartWorker();
  const std::string id = cluster.ApplyAndStart(kEchoFlow, "echo-trace");
  auto run = cluster.WaitForRunEnd(id, absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->correlation_id().size(), 36u);  // a UUID
  EXPECT_EQ(json::parse(run->tasks(0).result_json())["correlation"], run->correlation_id());
  CliResult shown = cluster.Cli({"run", "get", id});
  EXPECT_THAT(shown.out, HasSubstr("correlation id " + run->correlation_id()));
  CliResult bad = cluster.Cli({"run", "start", "echo-trace", "--correlation-id", "has space"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("correlation_id: character 4 is not printable ASCII"));
}

}  // namespace
}  // namespace baton::testing
